"""smart-me under every fault kind: see tests/chaos/harness.py for the checks."""

from __future__ import annotations

from datetime import timedelta
import uuid

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.solar_cloud.api.smartme import (
    RealtimeDeviceData,
    encode_realtime,
)

from ...common import simulator_as
from ...simulator.smartme import BILANZ_ID, SmartMeSimulator
from ...smartme import SetUp
from ...smartme.const import (
    API_KEY,
    CLIENT_SECRET,
    PASSWORD,
    POWER,
    RELAY,
    USERNAME,
    WEBHOOK_ID,
    WEBHOOK_PASSWORD,
)
from ..common import NewChaos
from ..const import OVERSIZE_LIMIT
from ..harness import Chaos, FaultKind, cases, common_kinds, run_case


def _push(payload_of):
    async def inject(chaos: Chaos) -> None:
        sim = simulator_as(chaos.sim, SmartMeSimulator)
        for _ in range(3):
            await sim.push(payload=payload_of(sim))

    return inject


def _reading(sim: SmartMeSimulator, **change) -> bytes:
    data = sim.realtime_data(sim.devices[BILANZ_ID])
    fields = {
        "device_id": data.device_id,
        "timestamp": data.timestamp,
        "values": data.values,
    }
    fields.update(change)
    return encode_realtime([RealtimeDeviceData(**fields)])


def _future(sim: SmartMeSimulator) -> bytes:
    return _reading(sim, timestamp=sim.clock.now() + timedelta(days=3650))


def _negative(sim: SmartMeSimulator) -> bytes:
    values = sim.realtime_data(sim.devices[BILANZ_ID]).values
    return _reading(sim, values={code: -abs(v) - 1 for code, v in values.items()})


def _unknown(sim: SmartMeSimulator) -> bytes:
    return _reading(sim, device_id=str(uuid.uuid4()))


async def _pushes_apply(chaos: Chaos) -> None:
    """A real push after the fault reaches the meter (it is not frozen)."""
    sim = simulator_as(chaos.sim, SmartMeSimulator)
    device = sim.devices[BILANZ_ID]
    device.raw["ActivePower"] = 7.25
    chaos.freezer.tick(timedelta(seconds=20))
    assert await sim.push([BILANZ_ID]) == [200]
    await chaos.hass.async_block_till_done()
    state = chaos.hass.states.get(POWER)
    assert state is not None
    assert float(state.state) == pytest.approx(sim.power_kw(device) * 1000), state


KINDS = [
    *common_kinds(OVERSIZE_LIMIT),
    FaultKind(
        name="smartme_401",
        inject=lambda chaos: _add(chaos, "devices", status=401),
        auth=True,
    ),
    FaultKind(name="smartme_push_garbage", inject=_push(lambda _: b"\x0a\xff" * 40)),
    FaultKind(
        name="smartme_push_oversize",
        inject=_push(lambda _: b"\x0a" * (300 * 1024)),
    ),
    FaultKind(
        name="smartme_push_future_dated", inject=_push(_future), check=_pushes_apply
    ),
    FaultKind(name="smartme_push_negative", inject=_push(_negative)),
    FaultKind(name="smartme_push_unknown_meter", inject=_push(_unknown)),
]


async def _add(chaos: Chaos, endpoint: str, **fault) -> None:
    chaos.sim.faults.add(endpoint, **fault)


@pytest.mark.usefixtures("external_url")
@pytest.mark.parametrize("kind", cases(KINDS))
async def test_smartme_chaos(  # noqa: PLR0917
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    new_chaos: NewChaos,
    setup_entry: SetUp,
    sim: SmartMeSimulator,
    kind: FaultKind,
) -> None:
    """Faults and bad pushes come and go: the meters recover, nothing leaks."""
    entry = await setup_entry()
    chaos = new_chaos(
        freezer=frozen,
        entry=entry,
        sim=sim,
        vendor="smartme",
        static_secrets={
            API_KEY,
            PASSWORD,
            USERNAME,
            WEBHOOK_ID,
            WEBHOOK_PASSWORD,
            CLIENT_SECRET,
        },
    )

    async def control() -> None:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: RELAY}, blocking=True
        )

    await run_case(
        chaos,
        kind,
        hass_client=hass_client,
        control=control,
        fault_time=timedelta(minutes=10),
        recovery_time=timedelta(minutes=30),
        step=timedelta(minutes=1),
    )

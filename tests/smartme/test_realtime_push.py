"""Realtime pushes: from the simulator's pusher over HTTP into Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from ..simulator.smartme import BILANZ_ID, SmartMeSimulator
from .conftest import SetUp


@pytest.mark.parametrize("realtime", [True])
@pytest.mark.usefixtures("external_url")
async def test_push_reaches_state(
    hass: HomeAssistant,
    simulator: SmartMeSimulator,
    setup_entry: SetUp,
    frozen: FrozenDateTimeFactory,
) -> None:
    """The registered webhook gets real protobuf pushes and updates the state."""
    await setup_entry()
    assert len(simulator.registrations) == 1
    print(hass.states.async_all())
    frozen.tick(timedelta(seconds=20))
    statuses = await simulator.push([BILANZ_ID])
    assert statuses == [200]
    await hass.async_block_till_done()
    print(hass.states.get("sensor.bilanz_vk_energy_import"))

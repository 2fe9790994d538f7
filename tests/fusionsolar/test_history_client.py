"""The history interfaces of the Northbound client, against the simulator.

Longer than 500 lines: every test here shares the ``history_client`` fixture
and its helpers; to split the file, they would move into ``conftest.py`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
import itertools
import json
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.solar_cloud.api import ApiRateLimitedError, ApiResponseError
from custom_components.solar_cloud.api.fusionsolar import CallBudget, FusionSolarClient
from custom_components.solar_cloud.api.fusionsolar.const import Path
from custom_components.solar_cloud.api.fusionsolar.flow_control import LIMITS, Limit
from custom_components.solar_cloud.api.fusionsolar.history import (
    DeviceEnergy,
    Period,
    PlantEnergy,
    collect_time,
)

from ..const import BERLIN
from ..simulator.core import RunningSimulator, StartSimulator
from ..simulator.fusionsolar import (
    DEMO_PASSWORD,
    DEMO_USER,
    FusionSolarSimulator,
    SimAccount,
    SimDevice,
    SimPlant,
)
from .const import HOME, MATERNELLE, NOW, PUER

HOME_BATTERY = 1000000035436848
PUER_ESS = 1000000060000041
MATERNELLE_INVERTERS = (-214543629611879, -214091680973855)


@pytest.fixture
def history_client(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> FusionSolarClient:
    """Return a client of the demo account whose waits move the frozen clock."""
    freezer.move_to(NOW)
    return _client(cloud, session, freezer)


def _client(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    *,
    username: str = DEMO_USER,
    password: str = DEMO_PASSWORD,
    budget: CallBudget | None = None,
) -> FusionSolarClient:
    async def sleep(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))

    return FusionSolarClient(
        session,
        cloud.base_url,
        username=username,
        password=password,
        budget=budget,
        sleep=sleep,
    )


def _local(day: date, hour: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def _plant(code: str, tz: str, *, meter: bool = True, **kwargs: Any) -> SimPlant:
    devices = [
        SimDevice(id=11, name="Inverter", type_id=38),
        SimDevice(id=12, name="Battery", type_id=39),
    ]
    if meter:
        devices.append(SimDevice(id=13, name="Meter", type_id=47))
    return SimPlant(
        code=code,
        name=code,
        capacity_kw=8.0,
        tz=ZoneInfo(tz),
        devices=devices,
        **kwargs,
    )


async def _history(
    client: FusionSolarClient, period: Period, when: date | datetime, code: str = HOME
) -> tuple[PlantEnergy, ...]:
    return (await client.async_get_plant_history([code], period, when))[code]


async def _serve(
    start_vendor_simulator: StartSimulator, plants: list[SimPlant]
) -> tuple[FusionSolarSimulator, RunningSimulator]:
    sim = FusionSolarSimulator([SimAccount(username="u", password="p", plants=plants)])
    return sim, await start_vendor_simulator(sim)


# Reading the answers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "buckets"),
    [(Period.HOUR, 11), (Period.DAY, 2), (Period.MONTH, 11), (Period.YEAR, 5)],
)
async def test_every_period_of_every_plant(
    history_client: FusionSolarClient,
    sim: FusionSolarSimulator,
    period: Period,
    buckets: int,
) -> None:
    """Each interface answers the buckets with data, oldest first, per plant."""
    history = await history_client.async_get_plant_history(
        [HOME, MATERNELLE, PUER], period, date(2026, 11, 2)
    )
    assert history.keys() == {HOME, MATERNELLE, PUER}
    for code, energies in history.items():
        assert len(energies) == buckets
        assert [e.start for e in energies] == sorted(e.start for e in energies)
        assert all(e.period is period and e.plant_code == code for e in energies)
        assert all(e.start.tzinfo is UTC for e in energies)
        assert energies[0].pv_yield == energies[0].inverter_yield == energies[0].pv
    home = history[HOME]
    assert (
        home[0].start
        == {
            Period.HOUR: _local(date(2026, 11, 2)),
            Period.DAY: _local(date(2026, 11, 1)),
            Period.MONTH: _local(date(2026, 1, 1)),
            Period.YEAR: _local(date(2022, 1, 1)),  # commissioned 2022-09-01
        }[period]
    )
    if period is Period.HOUR:
        assert all(e.consumption is None for e in home)
    else:
        assert all(e.consumption for e in home)
    assert sim.log.count(f"getKpiStation{period.capitalize()}") == 1


async def test_hours_of_a_day_equal_the_truth(
    history_client: FusionSolarClient,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Hourly PV and export are the ledger's, and add up to the day's bucket."""
    await history_client.async_get_plant_kpis([HOME])  # advanced from now on
    freezer.tick(timedelta(days=2))
    for day in (date(2026, 10, 20), date(2026, 11, 3)):  # generated, then lived
        hours = await _history(history_client, Period.HOUR, day)
        truth = sim.truth(HOME, _local(day), _local(day + timedelta(days=1)))
        assert len(hours) == len(truth) == 24
        assert {e.start: e.pv for e in hours} == {h: t["pv"] for h, t in truth.items()}
        assert {e.start: e.export for e in hours} == {
            h: t["export"] for h, t in truth.items()
        }
        days = await _history(history_client, Period.DAY, day)
        (whole,) = [e for e in days if e.start == _local(day)]
        assert whole.pv == pytest.approx(sum(e.pv or 0 for e in hours), abs=0.02)
        assert whole.consumption == pytest.approx(
            sum(t["consumption"] for t in truth.values()), abs=0.02
        )


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)]
)
async def test_daylight_saving_days(
    history_client: FusionSolarClient, day: date, hours: int
) -> None:
    """A plant-local day has 23 hours in spring and 25 in autumn."""
    energies = await _history(history_client, Period.HOUR, day)
    assert len(energies) == hours
    assert energies[0].start == _local(day)
    assert energies[-1].start + timedelta(hours=1) == _local(day + timedelta(days=1))
    assert len({e.start for e in energies}) == hours


@pytest.mark.parametrize(
    ("tz", "midnight"),
    [
        ("Asia/Shanghai", datetime(2026, 6, 19, 16, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 6, 20, 4, tzinfo=UTC)),
    ],
)
async def test_plant_in_another_time_zone(
    start_vendor_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    tz: str,
    midnight: datetime,
) -> None:
    """The buckets are the plant's local hours; a date means that local day."""
    freezer.move_to(NOW)
    _, cloud = await _serve(start_vendor_simulator, [_plant("NE=1", tz)])
    client = _client(cloud, session, freezer, username="u", password="p")
    hours = await _history(client, Period.HOUR, date(2026, 6, 20), "NE=1")
    assert [e.start for e in hours] == [
        midnight + timedelta(hours=h) for h in range(24)
    ]
    # The sun rises in the plant's morning, not in UTC's.
    local_noon = hours[12]
    assert local_noon.pv is not None
    assert local_noon.pv > 0
    assert hours[3].pv == 0
    days = await _history(client, Period.DAY, date(2026, 6, 20), "NE=1")
    assert len(days) == 30
    assert days[19].start == midnight
    assert days[19].pv == pytest.approx(sum(e.pv or 0 for e in hours), abs=0.02)
    # An exact instant is asked for as given.
    late = await client.async_get_plant_history(
        ["NE=1"], Period.HOUR, midnight - timedelta(minutes=1)
    )
    assert late["NE=1"][0].start == midnight - timedelta(days=1)


async def test_today_runs_up_to_the_current_hour(
    history_client: FusionSolarClient,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Today's hours end with the current one, answered with what it has so far."""
    freezer.tick(timedelta(minutes=30))  # 11:30 in Berlin
    hours = await _history(history_client, Period.HOUR, date(2026, 11, 2))
    assert len(hours) == 12
    current = hours[-1]
    assert current.start == datetime(2026, 11, 2, 10, tzinfo=UTC)
    truth = sim.truth(HOME, current.start, current.start + timedelta(hours=1))
    assert current.pv == truth[current.start]["pv"]
    freezer.tick(timedelta(minutes=30))
    later = sim.truth(HOME, current.start, current.start + timedelta(hours=1))
    assert later[current.start]["pv"] > truth[current.start]["pv"]
    tomorrow = await history_client.async_get_plant_history(
        [HOME], Period.HOUR, date(2026, 11, 3)
    )
    assert tomorrow == {}


async def test_a_revised_hour_shows_in_the_next_answer(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """The cloud corrects a past hour; the hour and its day report the new value."""
    day = date(2026, 10, 30)
    before = await _history(history_client, Period.HOUR, day)
    days_before = await _history(history_client, Period.DAY, day)
    noon = _local(day, 12)
    old = next(e for e in before if e.start == noon)
    assert old.pv is not None
    sim.revise(HOME, noon, "pv", old.pv + 10)
    after = await _history(history_client, Period.HOUR, day)
    assert next(e for e in after if e.start == noon).pv == old.pv + 10
    assert sim.truth(HOME, noon, noon + timedelta(hours=1))[noon]["pv"] == old.pv + 10
    days_after = await _history(history_client, Period.DAY, day)
    change = {
        a.start: (a.pv or 0) - (b.pv or 0)
        for a, b in zip(days_after, days_before, strict=True)
    }
    assert change[_local(day)] == pytest.approx(10)
    assert sum(change.values()) == pytest.approx(10)
    with pytest.raises(KeyError):
        sim.revise(HOME, datetime(2030, 1, 1, tzinfo=UTC), "pv", 1)


async def test_no_data_before_the_cloud_kept_any(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Buckets before the plant's history start are not answered."""
    start = _local(date(2026, 10, 15), 9)
    sim.keep_history_from(HOME, start)
    years = await _history(history_client, Period.YEAR, date(2026, 1, 1))
    assert [e.start for e in years] == [_local(date(2026, 1, 1))]
    months = await _history(history_client, Period.MONTH, date(2026, 1, 1))
    assert [e.start.astimezone(BERLIN).month for e in months] == [10, 11]
    hours = await _history(history_client, Period.HOUR, start)
    assert hours[0].start == start
    assert len(hours) == 15
    assert not await history_client.async_get_plant_history(
        [HOME], Period.DAY, date(2026, 9, 1)
    )
    truth = sim.truth(HOME, _local(date(2026, 10, 15)), _local(date(2026, 10, 16)))
    assert min(truth) == start
    assert months[0].pv == pytest.approx(
        sum(t["pv"] for t in sim.truth(HOME, start, months[1].start).values()),
        abs=0.3,
    )


async def test_the_past_is_generated_the_same_way_every_time(
    start_vendor_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """History before the simulator first advanced a plant is deterministic."""
    freezer.move_to(NOW)
    answers = []
    for _ in range(2):
        _, cloud = await _serve(
            start_vendor_simulator,
            [_plant("NE=1", "Europe/Berlin", grid_connected=None)],
        )
        client = _client(cloud, session, freezer, username="u", password="p")
        answers.append(
            await client.async_get_plant_history(
                ["NE=1"], Period.YEAR, date(2026, 1, 1)
            )
        )
    first, second = answers
    # No commissioning date: a year before the first question.
    assert [e.start.astimezone(BERLIN).year for e in first["NE=1"]] == [2025, 2026]
    assert first["NE=1"][0] == second["NE=1"][0]


async def test_lifetime_counters_follow_the_ledger(
    history_client: FusionSolarClient,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What the lifetime counter gained is what the ledger holds for the time."""
    start = datetime.fromisoformat(NOW)
    before = (await history_client.async_get_plant_kpis([HOME]))[HOME]
    freezer.tick(timedelta(days=2))
    after = (await history_client.async_get_plant_kpis([HOME]))[HOME]
    truth = sim.truth(HOME, start, start + timedelta(days=2))
    assert len(truth) == 48
    assert before.total_energy is not None
    assert after.total_energy is not None
    assert after.total_energy - before.total_energy == pytest.approx(
        sum(t["pv"] for t in truth.values()), abs=0.03
    )


async def test_totals_can_include_the_generated_past(
    start_vendor_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Opted in, lifetime = initial value + every year; today = today's bucket."""
    freezer.move_to(NOW)
    plant = _plant("NE=1", "Europe/Berlin", totals_include_history=True)
    initial = plant.pv_total
    _, cloud = await _serve(start_vendor_simulator, [plant])
    client = _client(cloud, session, freezer, username="u", password="p")
    kpi = (await client.async_get_plant_kpis(["NE=1"]))["NE=1"]
    years = await _history(client, Period.YEAR, date(2026, 1, 1), "NE=1")
    days = await _history(client, Period.DAY, date(2026, 11, 2), "NE=1")
    assert kpi.total_energy == pytest.approx(
        initial + sum(e.pv or 0 for e in years), abs=0.01
    )
    assert kpi.day_energy == pytest.approx(days[-1].pv, abs=0.01)
    assert kpi.day_feed_in == pytest.approx(days[-1].export, abs=0.01)
    assert kpi.month_energy == pytest.approx(sum(e.pv or 0 for e in days), abs=0.01)


async def test_plant_without_meter_reports_no_grid_energy(
    start_vendor_simulator: StartSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without a meter the cloud cannot tell feed-in and consumption (null)."""
    freezer.move_to(NOW)
    sim, cloud = await _serve(
        start_vendor_simulator, [_plant("NE=1", "Europe/Berlin", meter=False)]
    )
    sim.pv_yield_fields = False  # a server before 24.5.0
    client = _client(cloud, session, freezer, username="u", password="p")
    day = (await _history(client, Period.DAY, date(2026, 11, 1), "NE=1"))[0]
    assert day.export is None
    assert day.consumption is None
    assert day.pv_yield is None
    assert day.pv == day.inverter_yield
    assert day.pv


# Devices ------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [Period.DAY, Period.MONTH, Period.YEAR])
async def test_battery_and_ess_history(
    history_client: FusionSolarClient, sim: FusionSolarSimulator, period: Period
) -> None:
    """Batteries (39) and ESS (41) report what they charged and discharged."""
    battery = await history_client.async_get_device_history(
        39, [HOME_BATTERY], period, date(2026, 11, 1)
    )
    ess = await history_client.async_get_device_history(
        41, [PUER_ESS], period, date(2026, 11, 1)
    )
    assert battery.keys() == {HOME_BATTERY}
    assert ess.keys() == {PUER_ESS}
    first = battery[HOME_BATTERY][0]
    assert isinstance(first, DeviceEnergy)
    assert first.period is period
    assert first.charge
    assert first.discharge
    assert first.inverter_yield is None
    end = battery[HOME_BATTERY][1].start
    truth = sim.device_truth(HOME_BATTERY, first.start, end)
    assert set(next(iter(truth.values()))) == {"charge", "discharge"}
    assert first.charge == pytest.approx(
        sum(t["charge"] for t in truth.values()), rel=5e-3
    )


async def test_inverters_share_the_plant_yield(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Two inverters of a plant each report half of its PV yield."""
    inverters = await history_client.async_get_device_history(
        1, list(MATERNELLE_INVERTERS), Period.DAY, date(2026, 10, 1)
    )
    plant = await _history(history_client, Period.DAY, date(2026, 10, 1), MATERNELLE)
    assert len(inverters[MATERNELLE_INVERTERS[0]]) == len(plant) == 31
    first, second = (inverters[i][4].inverter_yield for i in MATERNELLE_INVERTERS)
    assert first == second == pytest.approx((plant[4].pv or 0) / 2, abs=0.001)
    day = plant[4].start
    truth = sim.device_truth(MATERNELLE_INVERTERS[0], day, day + timedelta(days=1))
    assert sum(t["pv"] for t in truth.values()) == pytest.approx(first, abs=0.02)


@pytest.mark.parametrize(
    ("type_id", "device_ids", "code"),
    [
        (39, [PUER_ESS], "20006"),  # an ESS is not a battery
        (47, [1000000035436847], "20013"),  # no history of power sensors
    ],
)
async def test_device_history_refused(
    history_client: FusionSolarClient,
    type_id: int,
    device_ids: list[int],
    code: str,
) -> None:
    """Devices of another or an unsupported type are refused."""
    with pytest.raises(ApiResponseError, match=code):
        await history_client.async_get_device_history(
            type_id, device_ids, Period.DAY, date(2026, 11, 1)
        )


async def test_history_without_a_collect_time(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """The simulator refuses a question without collectTime, as documented (20012)."""
    with pytest.raises(ApiResponseError, match="20012"):
        await history_client._call(Path.STATION_KPI_DAY, {"stationCodes": HOME})
    with pytest.raises(ApiResponseError, match="20012"):
        await history_client._call(
            Path.DEV_KPI_DAY, {"devIds": str(HOME_BATTERY), "devTypeId": 39}
        )
    with pytest.raises(ValueError, match="keeps no history"):
        sim.device_truth(
            1000000035436847, datetime.fromisoformat(NOW), datetime.now(UTC)
        )


async def test_device_history_has_no_hours(history_client: FusionSolarClient) -> None:
    """Hours are a plant-only bucket; more than 100 ids is a programming error."""
    with pytest.raises(ValueError, match="hour"):
        await history_client.async_get_device_history(
            39, [HOME_BATTERY], Period.HOUR, date(2026, 11, 1)
        )
    with pytest.raises(ValueError, match="1 to 100"):
        await history_client.async_get_device_history(
            39, list(range(101)), Period.DAY, date(2026, 11, 1)
        )
    with pytest.raises(ValueError, match="1 to 100"):
        await history_client.async_get_plant_history([], Period.DAY, date(2026, 11, 1))


# Quirks ---------------------------------------------------------------------------------


def _answer(data: Any) -> bytes:
    return json.dumps({"success": True, "failCode": 0, "data": data}).encode()


async def test_plant_items_are_read_tolerantly(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Strings, null, "N/A", missing keys and broken items, as the service sends."""
    sim.faults.add(
        "getKpiStationDay",
        body=_answer(
            [
                {
                    "stationCode": "A",
                    "collectTime": "1501862400000",
                    "dataItemMap": {
                        "PVYield": "12.5",
                        "inverter_power": "N/A",
                        "inverterYield": 11.0,
                        "ongrid_power": None,
                        "use_power": "",
                        "buyPower": "3.25",
                        "chargeCap": "1",
                        "dischargeCap": "N/A",
                    },
                },
                {
                    "stationCode": "A",
                    "collectTime": 1501776000000,
                    "dataItemMap": {"inverter_power": 9, "inverterYield": 8.5},
                },
                {
                    "stationCode": "A",
                    "collectTime": 1501689600000,
                    "dataItemMap": {"inverter_power": 1},
                },
                {
                    "stationCode": "A",
                    "collectTime": 1501689600000,
                    "dataItemMap": {"inverterYield": "7.5"},
                },
                {"stationCode": "B", "collectTime": 1501776000000},
                {"collectTime": 1501776000000, "dataItemMap": {}},
                {"stationCode": "C", "collectTime": "N/A"},
                "garbage",
            ]
        ),
    )
    history = await history_client.async_get_plant_history(
        ["A", "B", "C"], Period.DAY, date(2017, 8, 5)
    )
    assert history.keys() == {"A", "B"}
    oldest, middle, newest = history["A"]
    # 2017-08-05 00:00 at UTC+8, the reference's example.
    assert newest.start == datetime(2017, 8, 4, 16, tzinfo=UTC)
    assert newest == PlantEnergy(
        plant_code="A",
        period=Period.DAY,
        start=newest.start,
        pv_yield=12.5,
        inverter_yield=11.0,
        grid_import=3.25,
        charge=1.0,
    )
    assert newest.pv == 12.5
    assert middle.pv == 9  # inverter_power before inverterYield
    assert oldest.pv == 7.5  # the later of two items of the same day
    (empty,) = history["B"]
    assert empty.pv is None
    assert empty.export is None


async def test_device_items_are_read_tolerantly(
    history_client: FusionSolarClient, sim: FusionSolarSimulator
) -> None:
    """Device ids as strings, values as strings or "N/A"; broken items dropped."""
    sim.faults.add(
        "getDevKpiMonth",
        body=_answer(
            [
                {
                    "devId": str(HOME_BATTERY),
                    "collectTime": 1501516800000,
                    "dataItemMap": {"charge_cap": "2.5", "discharge_cap": "N/A"},
                },
                {"devId": "x", "collectTime": 1501516800000, "dataItemMap": {}},
                {"devId": 5, "dataItemMap": {}},
            ]
        ),
    )
    history = await history_client.async_get_device_history(
        39, [HOME_BATTERY, 5], Period.MONTH, date(2017, 8, 1)
    )
    assert history == {
        HOME_BATTERY: (
            DeviceEnergy(
                device_id=HOME_BATTERY,
                period=Period.MONTH,
                start=datetime(2017, 7, 31, 16, tzinfo=UTC),
                charge=2.5,
            ),
        )
    }


@pytest.mark.parametrize("data", [None, {}, "N/A"])
async def test_answer_without_a_list(
    history_client: FusionSolarClient, sim: FusionSolarSimulator, data: Any
) -> None:
    """An answer whose data is no list holds no buckets."""
    sim.faults.add("getKpiStationYear", body=_answer(data))
    assert (
        await history_client.async_get_plant_history(
            [HOME], Period.YEAR, date(2026, 1, 1)
        )
        == {}
    )


def test_collect_time() -> None:
    """A date is asked for at 10:00 UTC; an aware instant as it is."""
    assert collect_time(date(2026, 6, 20)) == int(
        datetime(2026, 6, 20, 10, tzinfo=UTC).timestamp() * 1000
    )
    instant = datetime(2017, 8, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert collect_time(instant) == 1501862400000
    with pytest.raises(ValueError, match="aware"):
        collect_time(datetime(2026, 6, 20))  # noqa: DTZ001


# Flow control -------------------------------------------------------------------------


async def test_budget_holds_the_26th_hour_call_back(
    history_client: FusionSolarClient,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """25 calls a day, a minute apart; the 26th is refused before it is sent."""
    sent: list[datetime] = []
    refused: list[ApiRateLimitedError] = []
    for back in range(30):
        try:
            await history_client.async_get_plant_history(
                [HOME], Period.HOUR, date(2026, 11, 1) - timedelta(days=back)
            )
        except ApiRateLimitedError as err:
            refused.append(err)
        else:
            sent.append(history_client.now())
    assert len(sent) == 25
    assert len(refused) == 5
    assert all(err.reason == "call_budget_exhausted" for err in refused)
    assert refused[0].retry_after == pytest.approx(
        (sent[0] + timedelta(days=1, seconds=1) - history_client.now()).total_seconds(),
        abs=1,
    )
    assert min(b - a for a, b in itertools.pairwise(sent)) >= timedelta(minutes=1)
    assert sim.log.count("getKpiStationHour") == 25
    assert sim.refused_calls() == 0
    # Each interface has a budget of its own.
    assert await history_client.async_get_plant_history(
        [HOME], Period.DAY, date(2026, 11, 1)
    )


@pytest.mark.parametrize(
    ("path", "endpoint", "call"),
    [
        (
            Path.STATION_KPI_MONTH,
            "getKpiStationMonth",
            lambda c: c.async_get_plant_history([HOME], Period.MONTH, date(2026, 1, 1)),
        ),
        (
            Path.DEV_KPI_DAY,
            "getDevKpiDay",
            lambda c: c.async_get_device_history(
                39, [HOME_BATTERY], Period.DAY, date(2026, 11, 1)
            ),
        ),
    ],
)
async def test_simulator_refuses_beyond_the_documented_limits(
    cloud: RunningSimulator,
    session: aiohttp.ClientSession,
    sim: FusionSolarSimulator,
    freezer: FrozenDateTimeFactory,
    *,
    path: Path,
    endpoint: str,
    call: Callable[[FusionSolarClient], Any],
) -> None:
    """Without the budget: 407 within a minute, and beyond the daily count."""
    freezer.move_to(NOW)
    careless = CallBudget(
        LIMITS | {path: Limit(window=timedelta(days=1), calls=lambda _: 1000)}
    )
    client = _client(cloud, session, freezer, budget=careless)
    await call(client)
    with pytest.raises(ApiRateLimitedError) as err:
        await call(client)  # within the minute
    assert err.value.reason == "rate_limited"
    assert sim.refused_calls() == 1
    allowed = 1 + 24 if endpoint.startswith("getKpi") else 10 + 24
    client.budget = CallBudget(
        LIMITS
        | {
            path: Limit(
                window=timedelta(days=1),
                calls=lambda _: 1000,
                spacing=timedelta(minutes=1),
            )
        }
    )
    for _ in range(allowed - 1):
        freezer.tick(timedelta(minutes=1))
        await call(client)
    freezer.tick(timedelta(minutes=1))
    with pytest.raises(ApiRateLimitedError) as err:
        await call(client)
    assert err.value.retry_after == pytest.approx(86401, abs=1)
    assert sim.refused_calls() == 2
    assert sim.log.count(endpoint) == allowed + 2

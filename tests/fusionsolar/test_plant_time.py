"""A plant's local days, learned from the midnights of history answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
import pytest

from custom_components.solar_cloud.fusionsolar.plant_time import (
    FusionSolarPlantCalendar,
    FusionSolarPlantTimeZone,
    midnight_offset,
)

from ..const import BERLIN


def _midnight(day: date, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("utc", "day", "hours"),
    [
        ("2026-06-20T22:00:00+00:00", date(2026, 6, 21), 2),
        ("2026-06-21T05:00:00+00:00", date(2026, 6, 21), -5),
        ("2026-06-21T10:00:00+00:00", date(2026, 6, 21), -10),
        ("2026-06-20T09:45:00+00:00", date(2026, 6, 21), 14.25),
        ("2026-06-20T18:30:00+00:00", date(2026, 6, 21), 5.5),
        ("2026-06-21T00:00:00+00:00", date(2026, 6, 21), 0),
    ],
)
def test_a_midnight_tells_the_date_and_offset(
    utc: str, day: date, hours: float
) -> None:
    """From UTC-10 to UTC+13:59, a local midnight names one date and offset."""
    if hours > 14:
        hours -= 24  # 09:45 UTC is UTC-09:45, not UTC+14:15
        day -= timedelta(days=1)
    assert midnight_offset(datetime.fromisoformat(utc)) == (
        day,
        timedelta(hours=hours),
    )


def test_daylight_saving_days_are_learned_exactly() -> None:
    """Berlin in March 2026: the 29th starts at +1, the 30th at +2."""
    calendar = FusionSolarPlantCalendar()
    for day in range(25, 31):
        assert calendar.learn(_midnight(date(2026, 3, day)))
    assert not calendar.learn(_midnight(date(2026, 3, 27)))
    assert calendar.as_dict()["runs"] == [
        ["2026-03-25", "2026-03-29", 60],
        ["2026-03-30", "2026-03-30", 120],
    ]
    assert calendar.midnight(date(2026, 3, 29)) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert calendar.midnight(date(2026, 3, 30)) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    # Days not told: the offset of the nearest day told.
    assert not calendar.is_known(date(2026, 4, 5))
    assert calendar.midnight(date(2026, 4, 5)) == datetime(2026, 4, 4, 22, tzinfo=UTC)
    assert calendar.midnight(date(2026, 1, 5)) == datetime(2026, 1, 4, 23, tzinfo=UTC)
    # Local dates of instants around a midnight.
    assert calendar.local_date(datetime(2026, 3, 29, 21, 59, tzinfo=UTC)) == date(
        2026, 3, 29
    )
    assert calendar.local_date(datetime(2026, 3, 29, 22, tzinfo=UTC)) == date(
        2026, 3, 30
    )
    assert calendar.zone() == timezone(timedelta(hours=2))


def test_a_day_told_otherwise_leaves_its_run() -> None:
    """Gaps between days of one offset count as that offset; a correction splits."""
    calendar = FusionSolarPlantCalendar()
    calendar.learn(_midnight(date(2026, 1, 1)))
    calendar.learn(_midnight(date(2026, 1, 31)))
    assert calendar.is_known(date(2026, 1, 15))
    calendar.learn(datetime(2026, 1, 14, 22, tzinfo=UTC))  # Jan 15 at +2
    assert calendar.as_dict()["runs"] == [
        ["2026-01-01", "2026-01-14", 60],
        ["2026-01-15", "2026-01-15", 120],
        ["2026-01-16", "2026-01-31", 60],
    ]
    calendar.learn(_midnight(date(2026, 1, 15)))
    assert calendar.as_dict()["runs"] == [["2026-01-01", "2026-01-31", 60]]


async def test_before_anything_is_told(hass: HomeAssistant) -> None:
    """The grid connection's offset, else Home Assistant's zone."""
    await hass.config.async_set_time_zone("America/New_York")
    calendar = FusionSolarPlantCalendar()
    assert calendar.zone() == ZoneInfo("America/New_York")
    assert calendar.midnight(date(2026, 7, 1)) == datetime(2026, 7, 1, 4, tzinfo=UTC)
    assert calendar.midnight(date(2026, 1, 1)) == datetime(2026, 1, 1, 5, tzinfo=UTC)
    calendar.fallback = timezone(timedelta(hours=8))
    assert calendar.zone() == timezone(timedelta(hours=8))
    assert calendar.offset_on(date(2026, 1, 1)) == timedelta(hours=8)
    assert not calendar.learned


def test_what_was_learned_is_kept() -> None:
    """Stored and read back; what does not parse is left out."""
    calendar = FusionSolarPlantCalendar()
    calendar.learn(_midnight(date(2026, 6, 1)))
    calendar.first_data = date(2024, 3, 10)
    restored = FusionSolarPlantCalendar.from_dict(calendar.as_dict())
    assert restored.as_dict() == calendar.as_dict()
    assert restored.learned
    broken = FusionSolarPlantCalendar.from_dict(
        {
            "runs": [
                ["2026-01-01", "2026-01-31", 60],
                ["2026-02-01", "2026-01-01", 60],
                ["x", "2026-01-01", 60],
                ["2026-03-01", "2026-03-02", 100000],
                ["2026-03-01", "2026-03-02"],
            ],
            "first_data": "soon",
        }
    )
    assert broken.as_dict() == {
        "runs": [["2026-01-01", "2026-01-31", 60]],
        "first_data": None,
    }
    assert not FusionSolarPlantCalendar.from_dict("nothing").learned


def test_a_zone_that_follows_what_is_learned() -> None:
    """A counter built before the offset was told uses it once it is."""
    calendar = FusionSolarPlantCalendar()
    calendar.fallback = timezone(timedelta(hours=1))
    zone = FusionSolarPlantTimeZone(calendar)
    at = datetime(2026, 6, 21, 22, 30, tzinfo=UTC)
    assert at.astimezone(zone).date() == date(2026, 6, 21)
    assert zone.tzname(None) == "UTC+01:00"
    calendar.learn(_midnight(date(2026, 6, 21)))
    local = at.astimezone(zone)
    assert local.date() == date(2026, 6, 22)
    assert local.utcoffset() == timedelta(hours=2)
    assert local.dst() == timedelta()
    assert datetime.combine(date(2026, 6, 22), datetime.min.time(), zone) == (
        datetime(2026, 6, 21, 22, tzinfo=UTC)
    )
    calendar.learn(datetime(2026, 6, 21, 15, tzinfo=UTC))  # June 22 at UTC+9
    assert zone.tzname(at) == "UTC+09:00"
    calendar.learn(datetime(2026, 6, 23, 5, 30, tzinfo=UTC))  # June 23 at UTC-5:30
    assert zone.tzname(at) == "UTC-05:30"

"""Importing each cloud's energy history into the long-term statistics.

A vendor describes its history as a ``history_source.HistorySource``: which
series it has, how to split a period into requests (``HistoryChunk``, one call
or a few each), and how to fetch one. The :class:`HistoryImporter` of an
account does the rest, one request at a time, in the background:

- **Backfill**: once, the configured period before setup (or what the cloud
  keeps, if less), in the order the vendor plans it (newest first, or coarse
  days first and hours later where the call budget is tight). Progress is kept
  in storage, so a restart carries on where it stopped.
- **Newest hours**: every ``live_interval``, from the newest hour imported (or
  the last ``live_interval``) to now. After Home Assistant was down, this
  fills the hours it missed.
- **Trailing window**: every ``trailing_interval``, the last
  ``trailing_window`` again, for data the cloud delivered late or corrected.
- **On request** (action ``solar_cloud.import_history``): a range of days.

The newest hours and the trailing window go first, then the ranges asked for
by the action, and the backfill last. After every call the next waits at least
``call_spacing``; a queue the cloud asked to wait (rate limit) waits alone. A
refused sign-in or right pauses the import until the account is set up again.
Writing goes through :func:`statistics.async_replace`, which makes every
import idempotent.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .account_backoff import account_gate
from .api import (
    ApiAuthenticationError,
    ApiPermissionError,
    ApiRateLimitedError,
    SolarCloudApiError,
)
from .const import DOMAIN, LOGGER
from .history_source import HistoryChunk, HistorySource
from .runtime import SolarCloudConfigEntry, account_log_name
from .statistics import HOUR, async_replace, floor_hour
from .stored import stored_time

STORAGE_VERSION: Final = 1
_RETRY: Final = timedelta(minutes=5)
_RETRY_MAX: Final = timedelta(hours=1)
_MAX_FAILURES: Final = 5
"""Failed attempts after which a request is given up (and logged)."""


def history_store_key(entry_id: str) -> str:
    """Return the storage key of an account's import progress."""
    return f"{DOMAIN}.history.{entry_id}"


async def async_remove_history(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """Forget a deleted account's import progress (its statistics stay)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, history_store_key(entry.entry_id)
    ).async_remove()


class ImportState(StrEnum):
    """What the importer is doing (diagnostics)."""

    WAITING = "waiting"
    BACKFILLING = "backfilling"
    UP_TO_DATE = "up_to_date"
    PAUSED = "paused"
    """Authentication failed: nothing is fetched until the account reloads."""
    NOT_PERMITTED = "not_permitted"
    """The account may not read history (licence, rights): stopped until reload."""


class HistoryImporter:
    """Keep one account's statistics filled from its cloud's history."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        source: HistorySource,
        *,
        days: int,
    ) -> None:
        """Import ``days`` before setup from ``source``, and keep up."""
        self.hass = hass
        self.entry = entry
        self.source = source
        self.days = days
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, history_store_key(entry.entry_id)
        )
        self._backfill: deque[HistoryChunk] = deque()
        self._requests: deque[HistoryChunk] = deque()
        self._recent: deque[HistoryChunk] = deque()
        self.backfill_total = 0
        self.period_start: datetime | None = None
        """Where the backfill starts (None until it is planned)."""
        self.newest: datetime | None = None
        """The end of the newest hour imported."""
        self.calls = 0
        self.last_error: str | None = None
        self.paused = False
        self.not_permitted = False
        self._needs_plan = True
        self._next_live: datetime = dt_util.utcnow()
        self._next_trailing: datetime = dt_util.utcnow()
        self._last_trailing: datetime | None = None
        """When the trailing window was last queued (kept over restarts)."""
        self._working: tuple[deque[HistoryChunk], HistoryChunk] | None = None
        """The request being imported, and its queue."""
        self._not_before: datetime = dt_util.utcnow()
        self._failures = 0
        self._waits: dict[int, datetime] = {}
        """Queue -> until when it waits for a rate limit."""
        self._running = False
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._listeners: list[CALLBACK_TYPE] = []

    # Life cycle --------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the progress kept in storage and start working in the background."""
        stored = await self._store.async_load() or {}
        self._restore(stored)
        if isinstance(learned := stored.get("source"), dict):
            self.source.restore(learned)
        now = dt_util.utcnow()
        self._next_live = now
        # Counted from the first start, over restarts; overdue after a long
        # downtime, it runs at once.
        self._last_trailing = self._last_trailing or now
        self._next_trailing = self._last_trailing + self.source.trailing_interval
        self._not_before = now
        self.entry.async_on_unload(self._async_stop)
        # The first step runs on Home Assistant's clock, after setup.
        self._schedule(now)

    async def _async_stop(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        # Written now: the next setup (a reload) reads it at once.
        await self._store.async_save(self._stored())

    def _restore(self, stored: dict[str, Any]) -> None:
        def chunks(key: str) -> deque[HistoryChunk]:
            items = stored.get(key)
            return deque(
                chunk
                for item in (items if isinstance(items, list) else [])
                if (chunk := HistoryChunk.from_list(item)) is not None
            )

        self._backfill = chunks("backfill")
        self._requests = chunks("requests")
        total = stored.get("backfill_total")
        self.backfill_total = total if isinstance(total, int) else len(self._backfill)
        self.period_start = stored_time(stored.get("period_start"))
        self.newest = stored_time(stored.get("newest"))
        self._last_trailing = stored_time(stored.get("last_trailing"))
        desired = self._desired_start(dt_util.utcnow())
        days = stored.get("days")
        if isinstance(days, int) and self.days < days and self.period_start:
            # A shorter period: what is imported stays, what is not is dropped.
            start = desired or floor_hour(dt_util.utcnow())
            kept = deque(chunk for chunk in self._backfill if chunk.end > start)
            self.backfill_total -= len(self._backfill) - len(kept)
            self._backfill = kept
            self.period_start = max(self.period_start, start)
        self._needs_plan = self.period_start is None or (
            desired is not None and desired < self.period_start
        )

    def _stored(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "period_start": self.period_start.isoformat()
            if self.period_start
            else None,
            "newest": self.newest.isoformat() if self.newest else None,
            "last_trailing": self._last_trailing.isoformat()
            if self._last_trailing
            else None,
            "backfill": [chunk.as_list() for chunk in self._backfill],
            "backfill_total": self.backfill_total,
            "requests": [chunk.as_list() for chunk in self._requests],
            "source": self.source.stored(),
        }

    # What others see ---------------------------------------------------------

    @property
    def state(self) -> ImportState:
        """Return what the importer is doing."""
        if self.not_permitted:
            return ImportState.NOT_PERMITTED
        if self.paused:
            return ImportState.PAUSED
        if self._needs_plan:
            return ImportState.WAITING
        if self._backfill:
            return ImportState.BACKFILLING
        return ImportState.UP_TO_DATE

    @property
    def progress(self) -> float | None:
        """Return how much of the backfill is done (%), None before it is planned."""
        if self._needs_plan:
            return None
        if not self.backfill_total:
            return 100.0
        done = self.backfill_total - len(self._backfill)
        return round(100 * done / self.backfill_total, 1)

    @property
    def last_hour(self) -> datetime | None:
        """Return the start of the newest hour imported."""
        return self.newest - HOUR if self.newest is not None else None

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` after each import; return how to stop."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    def diagnostics(self) -> dict[str, Any]:
        """Return the import progress for the diagnostics download."""
        return {
            "state": self.state,
            "days": self.days,
            "period_start": self.period_start,
            "progress": self.progress,
            "backfill_left": len(self._backfill),
            "backfill_total": self.backfill_total,
            "requests_left": len(self._requests),
            "last_hour": self.last_hour,
            "calls": self.calls,
            "last_error": self.last_error,
            "series": [series.statistic_id for series in self.source.series()],
        }

    # Asking ---------------------------------------------------------------------

    def request(self, start: datetime, end: datetime) -> int:
        """Queue an import of ``[start, end)``; return how many requests it takes."""
        chunks = self.source.plan(floor_hour(start), floor_hour(end))
        self._requests.extend(c for c in chunks if c not in self._requests)
        self._store.async_delay_save(self._stored, 0)
        self._schedule(dt_util.utcnow())
        return len(chunks)

    def _desired_start(self, now: datetime) -> datetime | None:
        if self.days <= 0:
            return None
        return floor_hour(now - timedelta(days=self.days))

    # Working ------------------------------------------------------------------

    @callback
    def _schedule(self, when: datetime) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
        self._unsub_timer = async_track_point_in_utc_time(self.hass, self._wake, when)

    @callback
    def _wake(self, _now: datetime) -> None:
        self._unsub_timer = None
        if self._running or self.hass.is_stopping:
            return
        self._running = True
        self.entry.async_create_background_task(
            self.hass, self._async_step(), f"{DOMAIN} history import"
        )

    async def _async_step(self) -> None:
        try:
            await self._async_work()
        except Exception:  # noqa: BLE001
            if self.hass.is_stopping:
                # The recorder may be gone already: nothing was lost.
                return
            # A bug must not end the import for good: drop the request that
            # failed (not a plan: that is tried again), and give it time.
            LOGGER.exception("Importing the history of %s failed", self._name)
            self._not_before = dt_util.utcnow() + _RETRY
            if self._working is not None:
                queue, chunk = self._working
                if queue and queue[0] == chunk:
                    queue.popleft()
        finally:
            self._running = False
            self._working = None
        if not self.paused:
            self._schedule(self._next_wake())
        for update in list(self._listeners):
            update()

    def _queues(self) -> tuple[deque[HistoryChunk], ...]:
        """Return the queues, first served first."""
        return (self._recent, self._requests, self._backfill)

    def _next_wake(self) -> datetime:
        due = [
            max(self._not_before, self._waits.get(index, self._not_before))
            for index, queue in enumerate(self._queues())
            if queue
        ]
        if self._needs_plan:
            due.append(self._not_before)
        return min(
            [*due, max(self._not_before, min(self._next_live, self._next_trailing))]
        )

    async def _async_work(self) -> None:
        now = dt_util.utcnow()
        if now < self._not_before:
            return
        if self._needs_plan:
            await self._async_plan(now)
            return
        self._add_recent(now)
        # A queue waiting for a rate limit does not hold back the others.
        index, queue = next(
            (
                (index, queue)
                for index, queue in enumerate(self._queues())
                if queue and self._waits.get(index, now) <= now
            ),
            (None, None),
        )
        if index is None or queue is None:
            return
        chunk = queue[0]
        self._working = (queue, chunk)
        counted = self.source.calls
        try:
            done = await self._async_import(chunk, now, index)
        except (ApiAuthenticationError, ApiPermissionError) as err:
            self._fail(err, pause=True)
            done = False
        finally:
            made = 1 if counted is None else (self.source.calls or 0) - counted
            self.calls += made
        if done:
            queue.popleft()
        if made:
            # A failure may have set a longer wait already.
            self._not_before = max(
                self._not_before, dt_util.utcnow() + self.source.call_spacing
            )
        self._store.async_delay_save(self._stored, 60)

    async def _async_import(
        self, chunk: HistoryChunk, now: datetime, queue: int
    ) -> bool:
        """Fetch and write one request; return whether it is done with."""
        try:
            # The client's gate would refuse the call, but the sources count
            # it (and FusionSolar's spends its backlog budget) before their
            # client is asked: within the window, ask nothing at all.
            account_gate(self.hass, self.entry).check()
            parts = await self.source.async_fetch(chunk)
            written = await async_replace(self.hass, parts, now=now)
        except ApiAuthenticationError, ApiPermissionError:
            raise
        except ApiRateLimitedError as err:
            wait = timedelta(seconds=err.retry_after or _RETRY.total_seconds())
            self._waits[queue] = dt_util.utcnow() + wait
            LOGGER.debug("History of %s waits %s: %s", self._name, wait, err)
            return False
        except SolarCloudApiError as err:
            self._fail(err)
            self._failures += 1
            if self._failures < _MAX_FAILURES:
                return False
            LOGGER.warning(
                "Gave up importing the history of %s from %s to %s: %s",
                self._name,
                chunk.start,
                chunk.end,
                err,
            )
            self._failures = 0
            return True
        self._failures = 0
        self.last_error = None
        if ends := [part.end for part in written]:
            newest = min(max(ends), floor_hour(now) + HOUR)
            self.newest = max(newest, self.newest) if self.newest else newest
        return True

    def _fail(self, err: SolarCloudApiError, *, pause: bool = False) -> None:
        self.last_error = str(err)
        if pause:
            # Sign-in and rights are the account's, not the request's: asking
            # again before the user did something only fails again.
            self.paused = True
            self.not_permitted = isinstance(err, ApiPermissionError)
            LOGGER.warning(
                "Importing the history of %s stopped until the account is set up "
                "again: %s",
                self._name,
                err,
            )
            return
        wait = min(_RETRY * 2**self._failures, _RETRY_MAX)
        self._not_before = dt_util.utcnow() + wait
        LOGGER.debug("History of %s failed, next try in %s: %s", self._name, wait, err)

    async def _async_plan(self, now: datetime) -> None:
        """Plan the backfill, or its extension to an earlier start.

        ``period_start`` is the start the user asked for (days before the
        first setup); the cloud may keep less, which one call may tell.
        """
        desired = self._desired_start(now)
        end = self.period_start or floor_hour(now)
        chunks: list[HistoryChunk] = []
        if desired is not None and desired < end:
            try:
                first = await self.source.async_first_data()
            except SolarCloudApiError as err:
                self._fail(
                    err,
                    pause=isinstance(err, ApiAuthenticationError | ApiPermissionError),
                )
                return
            start = max(desired, floor_hour(first)) if first is not None else desired
            if start < end:
                chunks = self.source.plan(start, end)
        self._backfill.extend(chunks)
        self.backfill_total += len(chunks)
        self.period_start = min(desired, end) if desired is not None else end
        self._needs_plan = False
        self._store.async_delay_save(self._stored, 0)
        LOGGER.debug(
            "History of %s: %d requests back to %s", self._name, len(chunks), desired
        )

    def _add_recent(self, now: datetime) -> None:
        """Queue the newest hours and the trailing window when they are due."""
        end = floor_hour(now) + HOUR
        ranges = []
        if now >= self._next_live:
            live = self.source.live_interval
            start = floor_hour(now) - live
            if self.newest is not None:
                start = min(start, self.newest - HOUR)
            ranges.append((start, end))
            self._next_live = next_slot(now, live, self.source.live_delay)
        if now >= self._next_trailing:
            ranges.append((floor_hour(now) - self.source.trailing_window, end))
            self._last_trailing = now
            self._next_trailing = now + self.source.trailing_interval
        for start, stop in ranges:
            self._recent.extend(
                chunk
                for chunk in self.source.plan(start, stop)
                if chunk not in self._recent
            )

    @property
    def _name(self) -> str:
        return account_log_name(self.entry)


def next_slot(now: datetime, interval: timedelta, delay: timedelta) -> datetime:
    """Return the next time on the grid of ``interval`` (from midnight UTC) + delay."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    slots = (now - delay - midnight) // interval + 1
    return midnight + slots * interval + delay

"""The real-time poller: plants' and devices' KPIs, shortly after each upload.

:class:`RealTimePoller` is the :class:`~.polling.Poller` of ``getStationRealKpi``
and ``getDevRealKpi``; it plans each batch's calls by the upload phases
``api/upload_phase.py`` learns, the probes that learn them by ``probes``
(their moments) and the batches' make-up by ``phase_batches``.

Over 500 lines on purpose: one class, whose methods share one schedule's
state (batches, their sources' clocks, held-back and probed calls); what
stands alone has left it (``probes``, ``phase_batches``, ``upload_phase``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..upload_phase import UploadClock, next_at_offset, plan_poll, poll_offset
from .client import FusionSolarClient
from .const import REAL_TIME_TYPES, Path
from .flow_control import Job, batches
from .models import Device, DeviceKpi, PlantKpi
from .phase_batches import compose_batches
from .polling import REAL_TIME_PERIOD, Poller, PollOutcome, Reading
from .probes import doubtful_phases, plan_probe

ZERO = timedelta()


class RealTimePoller(Poller):
    """Real-time KPIs of plants and devices, shortly after each upload.

    Each batch is read once per upload cycle, at the moment its sources'
    values are usually there (``api/upload_phase.py`` learns it from the
    values themselves; the devices of a plant share their logger's clock),
    not a period after the last call: so the calls do not slip through the
    cycle. Where an interface's window is full, a call needs the previous one
    a window and a second (the margin) before it, so the delay grows a
    second every cycle; once it would pass :data:`MAX_LAG`, one upload is let
    go and the call goes right after the next one (median delay about
    ``GUARD + MAX_LAG / 2``, one upload in about ``MAX_LAG / 1 s`` let go).
    A delay that stays above :data:`RESYNC_LAG` without growing (the phase
    was learnt later than the first calls) is reset the same way, at most
    once per :data:`RESYNC_EVERY`.

    Phases are learnt from readings less than a period apart, which only
    calls the budget has to spare can make: a *probe* before a batch's next
    call (every cycle while its sources' phases are unknown or unsure, each
    halving the doubt; every :data:`~.probes.PROBE_EVERY` cycles after, to
    follow a drift), or a *retry* :data:`RETRY_LATE` after a call that found
    a source's upload late. Such a call goes out only if the budget still
    allows every call planned within its window (overdue ones included) at
    about its planned time; else it is dropped. A probe goes where it halves
    the most doubt of the batch's sources, at a moment the budget allows
    (``probes`` chooses it); an interface plans as many probes at a time as
    it has calls to spare. A batch of one logger returns to the logger's
    moment after a probe held it back (:data:`LOCK_SLACK`; batches of one
    interface :data:`STAGGER` apart, so that the sliding window leaves
    room), and probes wait until it is there; so does the only batch of a
    kind of source on an interface with a call to spare (ten plants'
    inverters). Batches that split a kind into arcs of the cycle keep
    slipping a second a cycle, which measured better for them
    (``scripts/bench fusionsolar``). Plants' KPIs (one call per 100 plants
    and window, never one to spare) take their phase from the devices of the
    plant, :data:`PLANT_AFTER_DEVICES` later. Several sources in one batch
    are served by the offset that makes their mean delay least
    (``upload_phase.poll_offset``). Where a kind of source needs several
    batches (more than 100), they are recomposed by phase every
    :data:`RECOMPOSE_EVERY` (``phase_batches``): each batch keeps its key,
    and with it its due time and probes, so the calls stay where the budget
    has them.
    """

    GUARD = timedelta(seconds=5)
    """How long after the learnt ready moment a batch is read (and how long
    before its call a probe goes, at least)."""
    LOCKED_GUARD = timedelta(seconds=2)
    """How long after the learnt ready moment a batch that returns to its
    moment is read (:meth:`_returns_to_moment`): never held later than its
    moment, it needs no more (measured: one plant's median 15.3 -> 13.1 s)."""
    LOCK_SLACK = timedelta(seconds=10)
    """How much less than a period after its last call a batch of one
    logger may be read again, to return to the logger's moment (the budget
    decides)."""
    STAGGER = timedelta(seconds=2)
    """How far apart the calls of batches of one interface locked to the
    same moment go: so that one held back a second by a probe can return to
    its moment in the next cycle (the budget counts calls in a sliding window)."""
    PLANT_AFTER_DEVICES = timedelta(seconds=20)
    """How much later than its devices' values a plant's KPIs are assumed ready."""
    MAX_LAG = timedelta(seconds=70)
    """How much later than its planned moment a call may go before an upload is let go."""
    RETRY_LATE = timedelta(seconds=120)
    MAX_GAP_SHORTFALL = timedelta(seconds=30)
    """Letting an upload go keeps two calls this much (plus the interface's
    spacing, which may hold the call back) less than two periods apart:
    values turn stale after two periods."""
    RESYNC_LAG = timedelta(seconds=20)
    RESYNC_EVERY = timedelta(hours=1)
    """A steady delay above RESYNC_LAG costs an upload at most once in RESYNC_EVERY."""
    RECOMPOSE_EVERY = timedelta(minutes=30)
    """How often batches of more than 100 sources are recomposed by phase
    (phases move slowly; composing 150 sources takes some 30 ms a kind)."""
    PROBE_SLIP = timedelta(seconds=2)
    """How much later a probe may make the planned calls of its window."""

    def __init__(
        self, client: FusionSolarClient, *, lock_to_uploads: bool = True
    ) -> None:
        """Start without plants or devices.

        ``lock_to_uploads`` False: call every period after the last call (as
        before phases were learnt; the benchmark compares the two).
        """
        super().__init__(client)
        self.lock_to_uploads = lock_to_uploads
        self._jobs: list[Job] = []
        self._plant_batches: dict[Hashable, tuple[str, ...]] = {}
        self._device_batches: dict[Hashable, tuple[int, tuple[int, ...]]] = {}
        self.plants: dict[str, Reading[PlantKpi]] = {}
        self.devices: dict[int, Reading[DeviceKpi]] = {}
        self.clocks: dict[Hashable, UploadClock] = {}
        """The upload phase of each plant's logger (("plant", code); a device
        of no known plant: ("device", id)), learnt from its devices."""
        self._plant_of_device: dict[int, str] = {}
        self._probes: dict[Hashable, int] = {}
        """Probes made per job (the job that made fewest may probe first)."""
        self._main_due: dict[Hashable, datetime] = {}
        self._lock_due: dict[Hashable, datetime] = {}
        """When each locked batch's next call would be at its moment of the cycle."""
        self._probing: set[Hashable] = set()
        self._late: set[Hashable] = set()
        self._cycles: dict[Hashable, int] = {}
        self._offsets: dict[Hashable, float] = {}
        self._last_skip: dict[Hashable, datetime] = {}
        self._excess: dict[Hashable, float] = {}
        self._composed: datetime | None = None
        """When the batches were last recomposed by phase."""

    @property
    def jobs(self) -> Sequence[Job]:
        """Return one job per batch of plants and per batch of devices of a type."""
        return self._jobs

    def set_scope(self, plant_codes: Sequence[str], devices: Iterable[Device]) -> None:
        """Poll these plants and devices (devices without real-time data are left out)."""
        by_type: dict[int, list[int]] = {}
        self._plant_of_device = {}
        for device in devices:
            if device.type_id in REAL_TIME_TYPES:
                by_type.setdefault(device.type_id, []).append(device.id)
                self._plant_of_device[device.id] = device.plant_code
        previous = self._device_batches
        self._plant_batches = {
            ("plants", i): batch
            for i, batch in enumerate(
                self._keep_slots(sorted(plant_codes), self._plant_batches.values())
            )
        }
        self._device_batches = {
            ("devices", type_id, i): (type_id, batch)
            for type_id, ids in sorted(by_type.items())
            for i, batch in enumerate(
                self._keep_slots(
                    sorted(ids),
                    (b for t, b in previous.values() if t == type_id),
                )
            )
        }
        self._jobs = [
            Job(key=key, path=Path.STATION_REAL_KPI, period=REAL_TIME_PERIOD)
            for key in self._plant_batches
        ] + [
            Job(key=key, path=Path.DEV_REAL_KPI, period=REAL_TIME_PERIOD)
            for key in self._device_batches
        ]
        wanted_ids = {i for ids in by_type.values() for i in ids}
        self.plants = {c: r for c, r in self.plants.items() if c in plant_codes}
        self.devices = {i: r for i, r in self.devices.items() if i in wanted_ids}
        sources = {("plant", code) for code in plant_codes} | {
            self._clock_key(("device", i)) for i in wanted_ids
        }
        self.clocks = {k: c for k, c in self.clocks.items() if k in sources}
        keys = self._keys()
        self._offsets = {k: o for k, o in self._offsets.items() if k in keys}
        self._next_due = {k: due for k, due in self._next_due.items() if k in keys}
        self._main_due = {k: due for k, due in self._main_due.items() if k in keys}
        self._lock_due = {k: due for k, due in self._lock_due.items() if k in keys}
        self._probing &= keys
        self._late &= keys
        # A plant or device new to a batch is read as soon as the budget
        # allows, not at the batch's moment (up to a period later).
        for key in self._unread():
            self._next_due.pop(key, None)
            self._probing.discard(key)
        self._compose()

    def _unread(self) -> set[Hashable]:
        """Return the batches holding a plant or device not read yet."""
        return {
            key
            for key, codes in self._plant_batches.items()
            if any(code not in self.plants for code in codes)
        } | {
            key
            for key, (_, ids) in self._device_batches.items()
            if any(device_id not in self.devices for device_id in ids)
        }

    def _keys(self) -> set[Hashable]:
        return {job.key for job in self._jobs}

    @staticmethod
    def _keep_slots[K: (int, str)](
        members: Sequence[K], before: Iterable[tuple[K, ...]]
    ) -> list[tuple[K, ...]]:
        """Return the batches as they were, less what left, plus what came.

        By id if the number of batches changes (or there were none).
        """
        wanted = set(members)
        kept = [[key for key in batch if key in wanted] for batch in before]
        if len(kept) != len(by_id := batches(members)):
            return by_id
        held = {key for batch in kept for key in batch}
        for key in members:
            if key not in held:
                min(kept, key=len).append(key)
        return [tuple(batch) for batch in kept]

    async def async_poll(self) -> PollOutcome:
        """Recompose the batches by phase (at most every RECOMPOSE_EVERY), then poll."""
        now = self.client.now()
        if self.lock_to_uploads and (
            self._composed is None or now - self._composed >= self.RECOMPOSE_EVERY
        ):
            self._compose()
        return await super().async_poll()

    def _compose(self) -> None:
        """Make each batch an arc of its sources' upload phases, where that saves wait.

        Only where an interface needs more than one batch for the same kind
        of source (``phase_batches``); each batch keeps its key, and with it
        its due time, probes and offset, so the calls stay within the budget.
        """
        self._composed = self.client.now()
        if not self.lock_to_uploads:
            return
        plant_keys = list(self._plant_batches)
        readies = {
            code: ready
            for batch in self._plant_batches.values()
            for code in batch
            if (ready := self._plant_ready(code)) is not None
        }
        composed = compose_batches(
            list(self._plant_batches.values()), readies, period=REAL_TIME_PERIOD
        )
        if composed is not None:
            self._plant_batches = dict(zip(plant_keys, composed, strict=True))
        for type_id in sorted({t for t, _ in self._device_batches.values()}):
            keys = [key for key, (t, _) in self._device_batches.items() if t == type_id]
            current = [self._device_batches[key][1] for key in keys]
            device_readies = {
                i: ready
                for batch in current
                for i in batch
                if (ready := self._ready(("device", i))) is not None
            }
            composed_ids = compose_batches(
                current, device_readies, period=REAL_TIME_PERIOD
            )
            if composed_ids is not None:
                self._device_batches |= {
                    key: (type_id, batch)
                    for key, batch in zip(keys, composed_ids, strict=True)
                }

    def _clock_key(self, source: tuple[str, Any]) -> Hashable:
        """Return the clock of a source: the plant's, whose logger uploads it."""
        if source[0] == "device" and (plant := self._plant_of_device.get(source[1])):
            return ("plant", plant)
        return source

    def _observe(
        self, source: tuple[str, Any], value: object, at: datetime, *, learn: bool
    ) -> bool:
        """Take a reading of a source; return whether its upload looks late."""
        key = self._clock_key(source)
        clock = self.clocks.get(key)
        if clock is None:
            clock = self.clocks[key] = UploadClock(REAL_TIME_PERIOD)
        clock.observe(value, at, source, learn=learn)
        return clock.late(at, source)

    async def _run(self, job: Job) -> None:
        late = False
        # A retry reads a late upload: no sample of the phase.
        learn = not (job.key in self._probing and job.key in self._late)
        if job.key in self._plant_batches:
            kpis = await self.client.async_get_plant_kpis(self._plant_batches[job.key])
            at = self.client.now()
            for code, plant_kpi in kpis.items():
                late |= self._observe(("plant", code), plant_kpi, at, learn=learn)
                self.plants[code] = Reading(value=plant_kpi, at=at)
        else:
            type_id, ids = self._device_batches[job.key]
            device_kpis = await self.client.async_get_device_kpis(type_id, ids)
            at = self.client.now()
            for device_id, kpi in device_kpis.items():
                if device_id in ids:
                    late |= self._observe(("device", device_id), kpi, at, learn=learn)
                    self.devices[device_id] = Reading(value=kpi, at=at)
        if late:
            self._late.add(job.key)
        else:
            self._late.discard(job.key)

    # Planning -----------------------------------------------------------------

    def _ready(self, source: tuple[str, Any]) -> float | None:
        clock = self.clocks.get(self._clock_key(source))
        return None if clock is None else clock.ready()

    def _plant_ready(self, code: str) -> float | None:
        """Return when a plant's KPIs are ready: after its logger's devices."""
        if (ready := self._ready(("plant", code))) is None:
            return None
        return ready + self.PLANT_AFTER_DEVICES.total_seconds()

    def _sources_ready(self, key: Hashable) -> list[float]:
        if key in self._plant_batches:
            readies = (self._plant_ready(c) for c in self._plant_batches[key])
        else:
            _, ids = self._device_batches[key]
            readies = (self._ready(("device", i)) for i in ids)
        return [ready for ready in readies if ready is not None]

    def poll_offset(self, key: Hashable) -> float | None:
        """Return where in the upload period a batch is read (None: not known yet)."""
        offset = poll_offset(self._sources_ready(key), REAL_TIME_PERIOD)
        if offset is None:
            # Keep the last lock while new observations contradict each other.
            return self._offsets.get(key)
        path = next(job.path for job in self._jobs if job.key == key)
        stagger = [job.key for job in self._jobs if job.path is path].index(key)
        guard = self.LOCKED_GUARD if self._returns_to_moment(key, path) else self.GUARD
        offset = (
            offset + guard.total_seconds() + stagger * self.STAGGER.total_seconds()
        ) % REAL_TIME_PERIOD.total_seconds()
        self._offsets[key] = offset
        return offset

    def _next_run(self, job: Job, started: datetime) -> datetime:
        if not self.lock_to_uploads:
            return super()._next_run(job, started)
        now = self.client.now()
        if job.key in self._probing:
            self._probing.discard(job.key)
            main_due = self._main_due.get(job.key, started)
            if started < main_due - self.GUARD:
                return main_due
            # The probe went out late: it was the call of this cycle.
        # LOCK_SLACK: a call the budget held back a little (a probe took
        # the spare call) returns to its moment when the budget has room.
        one_logger = self._returns_to_moment(job.key, job.path)
        earliest = max(
            now + job.period - (self.LOCK_SLACK if one_logger else ZERO),
            self.client.budget.next_slot(job.path, now),
        )
        offset = self.poll_offset(job.key)
        main = earliest
        self._lock_due.pop(job.key, None)
        if offset is not None:
            # A delay that no longer grows is worth an upload now and then
            # (one that grows is let go at MAX_LAG anyway).
            last = self._last_skip.get(job.key)
            excess = (
                earliest - next_at_offset(started, offset, job.period)
            ).total_seconds()
            steady = excess <= self._excess.get(job.key, excess) + 0.5
            self._excess[job.key] = excess
            resync = steady and (last is None or now - last >= self.RESYNC_EVERY)
            main, skipped = plan_poll(
                offset=offset,
                earliest=earliest,
                after=started,
                period=job.period,
                max_lag=self.RESYNC_LAG if resync else self.MAX_LAG,
                latest=started
                + 2 * job.period
                - self.MAX_GAP_SHORTFALL
                - self._held_back(job),
            )
            if skipped:
                self._last_skip[job.key] = now
            elif one_logger:
                self._lock_due[job.key] = next_at_offset(started, offset, job.period)
        self._main_due[job.key] = main
        if (probe := self._plan_probe(job, now, main, offset)) is not None:
            self._probing.add(job.key)
            return probe
        return main

    def _returns_to_moment(self, key: Hashable, path: Path) -> bool:
        """Return whether a batch held back a little returns to its moment.

        A batch of one logger does; so does the only batch of its kind of
        source (ten plants' inverters) where its interface has a call to
        spare. Batches that split a kind into arcs of the cycle keep
        slipping a second a cycle, which measured better for them
        (``scripts/bench fusionsolar``, 150 plants).
        """
        if self._one_logger(key):
            return True
        siblings = [other.key for other in self._jobs if other.path is path]
        if self.client.budget.allowed(path) <= len(siblings):
            return False
        kind = self._device_batches.get(key, (None, ()))[0]
        return not any(
            other != key and self._device_batches.get(other, (None, ()))[0] == kind
            for other in siblings
        )

    def _one_logger(self, key: Hashable) -> bool:
        """Return whether all sources of a batch upload together (one logger)."""
        return len({self._clock_key(source) for source in self._sources(key)}) == 1

    def _held_back(self, job: Job) -> timedelta:
        """Return how long the interface's spacing may hold a batch's call back.

        Only another batch of the same interface can: a batch's own last
        call is a period before it.
        """
        siblings = sum(1 for other in self._jobs if other.path is job.path)
        return self.client.budget.limit(job.path).spacing if siblings > 1 else ZERO

    def _plan_probe(
        self, job: Job, now: datetime, main: datetime, offset: float | None
    ) -> datetime | None:
        """Return when to read a batch before its next call, if worth it."""
        siblings = sum(1 for other in self._jobs if other.path is job.path)
        if self.client.budget.allowed(job.path) <= siblings:
            return None  # no call to spare on this interface, ever
        if job.key in self._late:
            retry = now + self.RETRY_LATE
            return retry if retry < main - self.RETRY_LATE / 2 else None
        count = self._cycles[job.key] = self._cycles.get(job.key, 0) + 1
        # As many probes at a time per interface as it has calls to spare,
        # by the batches that made fewest: the spare calls go where they
        # were planned for, not to whichever probes fall due first.
        live = sorted(
            (
                other.key
                for other in self._jobs
                if other.path is job.path and self._live(other.key)
            ),
            key=lambda key: self._probes.get(key, 0),
        )
        if job.key not in live[: self.client.budget.allowed(job.path) - siblings]:
            return None
        # The budget may hold a probe back (the calls of the last window):
        # planned for a moment it cannot have, it would go out whenever the
        # budget allows, always at the same moment of the cycle.
        soonest = max(now + self.GUARD, self.client.budget.next_slot(job.path, now))
        return plan_probe(
            count,
            offset,
            soonest=soonest,
            main=main,
            guard=self.GUARD,
            period=job.period,
            doubts=doubtful_phases(self._source_clocks(job.key)),
            readies=self._sources_ready(job.key),
        )

    def _live(self, key: Hashable) -> bool:
        """Return whether a batch's values changed lately (there is something to learn)."""
        return any(clock.changed for clock in self._source_clocks(key))

    def _source_clocks(self, key: Hashable) -> list[UploadClock]:
        """Return the clock of each source of a batch (shared ones repeat)."""
        return [
            clock
            for source in self._sources(key)
            if (clock := self.clocks.get(self._clock_key(source))) is not None
        ]

    def _sources(self, key: Hashable) -> list[tuple[str, Any]]:
        if key in self._plant_batches:
            return [("plant", code) for code in self._plant_batches[key]]
        _, ids = self._device_batches[key]
        return [("device", i) for i in ids]

    def _may_run(self, job: Job, now: datetime) -> bool:
        if job.key not in self._probing:
            return True
        budget = self.client.budget
        horizon = now + budget.limit(job.path).window + timedelta(seconds=5)
        # A call planned within the window may slip by the budget's margin;
        # calls overdue (or never made) are planned for now: a probe must
        # never take their place.
        planned = [
            max(self._lock_due.get(other.key, due), now) + self.PROBE_SLIP
            for other in self._jobs
            if other.path is job.path
            and (due := self._main_due.get(other.key, now)) <= horizon
        ]
        if budget.fits(job.path, [now, *planned]):
            self._probes[job.key] = self._probes.get(job.key, 0) + 1
            return True
        # No call to spare: read the batch at its planned time only.
        self._probing.discard(job.key)
        self._next_due[job.key] = self._main_due[job.key]
        return False

"""The push units measured per device, kept across restarts.

A device's unit is measured once (see :mod:`..api.smartme.push`) and stored
per entry in Home Assistant's storage, keyed by device id. After a restart
the stored factor is used at once: the first push is applied in full rather
than measured again, and a meter whose counters have since stopped being
comparable keeps its unit.

Saving is delayed: a push that calibrates a device only schedules the write,
the webhook never waits for the disk. Unloading the entry writes what is
pending. Stored data that cannot be read is ignored: the units are measured
again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..api.smartme import PushScale
from ..const import DOMAIN, LOGGER

STORAGE_VERSION = 1
SAVE_DELAY = 30
"""Seconds a measured unit waits before it is written (several devices at once)."""


def storage_key(entry_id: str) -> str:
    """Return the storage key of an entry's calibration."""
    return f"{DOMAIN}.smartme_calibration.{entry_id}"


class _CalibrationStore(Store[dict[str, Any]]):
    """A store that forgets data of other versions instead of failing.

    It holds ``{"devices": {device id: PushScale.to_stored()}}``.
    """

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> dict[str, Any]:
        if old_major_version == STORAGE_VERSION:
            return dict(old_data)  # a newer minor version only adds
        # No older format ever held anything worth converting: measure again.
        LOGGER.debug(
            "Ignoring smart-me calibration of version %s.%s",
            old_major_version,
            old_minor_version,
        )
        return {"devices": {}}


class SmartMePushCalibration:
    """The push units of one entry's devices, loaded at setup, saved when measured."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of entry ``entry_id`` (nothing is read yet)."""
        self._store = _CalibrationStore(hass, STORAGE_VERSION, storage_key(entry_id))
        self.scales: dict[str, PushScale] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Read the stored units; anything unreadable is dropped (and rewritten)."""
        try:
            # Whatever the file holds: it is checked below.
            stored: Any = await self._store.async_load()
        except (HomeAssistantError, KeyError, TypeError, ValueError) as err:
            # Unreadable, or written by a newer version: measure again.
            LOGGER.debug("Ignoring the stored smart-me calibration: %s", err)
            self.async_schedule_save()
            return
        if stored is None:
            return
        devices = stored.get("devices") if isinstance(stored, Mapping) else None
        if not isinstance(devices, Mapping):
            LOGGER.debug("Ignoring the stored smart-me calibration: %r", stored)
            self.async_schedule_save()
            return
        for device_id, raw in devices.items():
            try:
                self.scales[str(device_id)] = PushScale.from_stored(raw)
            except ValueError as err:
                LOGGER.debug("Ignoring the calibration of %s: %s", device_id, err)
                self.async_schedule_save()

    def scale(self, device_id: str) -> PushScale:
        """Return the device's scale; a new one is measured and then kept."""
        if (scale := self.scales.get(device_id)) is None:
            scale = self.scales[device_id] = PushScale()
        return scale

    @callback
    def async_schedule_save(self) -> None:
        """Write the units after a while, without waiting for it."""
        self._dirty = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def async_keep_only(self, device_ids: Iterable[str]) -> None:
        """Forget the units of devices the account no longer reports."""
        gone = [self.scales.pop(key) for key in set(self.scales) - set(device_ids)]
        if any(scale.calibrated for scale in gone):
            self.async_schedule_save()

    async def async_flush(self) -> None:
        """Write pending units now (the entry unloads)."""
        if self._dirty:
            await self._store.async_save(self._data_to_save())

    async def async_remove(self) -> None:
        """Delete the stored units (the entry is removed)."""
        self._dirty = False
        await self._store.async_remove()

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        self._dirty = False
        return {
            "devices": {
                device_id: stored
                for device_id, scale in self.scales.items()
                if (stored := scale.to_stored()) is not None
            }
        }

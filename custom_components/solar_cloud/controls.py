"""Pending control changes: accepted by the vendor, not yet confirmed.

A select, number or switch change returns as soon as the vendor accepted the
command. Until the vendor confirms it, the entity shows the requested value
with the state attributes ``pending: true`` and ``requested_at``; once
confirmed, the confirmed value. When the vendor reports a failure, or the
outcome cannot be learned in time, the entity shows the value read back from
the vendor, a logbook entry gives the translated reason, and a repair issue
tells the user what did not apply. Nothing is shown as applied that the
vendor did not confirm.

Each vendor keeps one :class:`PendingControls` per entry and decides what a
key stands for (a plant and a kind of task, a plant's feed-in limit, ...);
entities read :meth:`PendingControls.get` and show
:meth:`PendingChange.attributes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.const import (
    ATTR_DOMAIN,
    ATTR_ENTITY_ID,
    ATTR_NAME,
    EVENT_LOGBOOK_ENTRY,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .issues import async_create_issue, issue_id
from .runtime import SolarCloudConfigEntry

ATTR_PENDING = "pending"
ATTR_REQUESTED_AT = "requested_at"
CONTROL_FAILED = "control_failed"
"""The repair issue raised when a change did not apply (one per control)."""


@dataclass(frozen=True, kw_only=True)
class PendingChange[ValueT]:
    """A change the vendor accepted and has not confirmed yet."""

    value: ValueT
    requested_at: datetime

    def attributes(self) -> dict[str, Any]:
        """Return the state attributes of an entity showing the change."""
        return {ATTR_PENDING: True, ATTR_REQUESTED_AT: self.requested_at.isoformat()}


class PendingControls[ValueT]:
    """The changes of one entry's controls that wait for the vendor."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        publish: Callable[[], None],
    ) -> None:
        """Tell the entities through ``publish`` when a change starts or ends."""
        self._hass = hass
        self._entry = entry
        self._publish = publish
        self._changes: dict[str, PendingChange[ValueT]] = {}

    def get(self, key: str) -> PendingChange[ValueT] | None:
        """Return the change pending for ``key``, if any."""
        return self._changes.get(key)

    @callback
    def start(
        self, key: str, value: ValueT, requested_at: datetime | None = None
    ) -> PendingChange[ValueT]:
        """Show ``value`` as requested for ``key`` until it is confirmed or fails."""
        change = PendingChange(
            value=value, requested_at=requested_at or dt_util.utcnow()
        )
        self._changes[key] = change
        self._publish()
        return change

    @callback
    def confirm(self, key: str) -> None:
        """End the change: the vendor confirmed it (the caller shows the value)."""
        self._changes.pop(key, None)
        ir.async_delete_issue(
            self._hass, DOMAIN, issue_id(self._entry, CONTROL_FAILED, key)
        )
        self._publish()

    @callback
    def fail(
        self,
        key: str,
        *,
        control: str,
        requested: str,
        error: HomeAssistantError,
        entity_id: str | None = None,
    ) -> None:
        """End the change that did not apply: log it and raise a repair issue.

        ``control`` names the control for the user (the plant and what it
        sets), ``requested`` what was asked for; ``error`` says why.
        """
        self._changes.pop(key, None)
        reason = str(error)
        LOGGER.warning("%s: %s was not applied: %s", control, requested, reason)
        entry: dict[str, Any] = {
            ATTR_NAME: control,
            "message": f"{requested}: {reason}",
            ATTR_DOMAIN: DOMAIN,
        }
        if entity_id is not None:
            entry[ATTR_ENTITY_ID] = entity_id
        self._hass.bus.async_fire(EVENT_LOGBOOK_ENTRY, entry)
        async_create_issue(
            self._hass,
            self._entry,
            CONTROL_FAILED,
            instance=key,
            placeholders={
                "control": control,
                "requested": requested,
                "reason": reason,
            },
        )
        self._publish()

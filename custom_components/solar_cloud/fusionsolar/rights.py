"""Rights the account lacks, raised as one repair issue naming them.

A right is named by the interface that was refused; once a call of that
interface is answered (the right was granted), it leaves the issue, and the
issue goes with the last one.
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback

from ..api import ApiPermissionError
from ..issues import async_create_issue, async_delete_issue
from ..runtime import SolarCloudConfigEntry

ISSUE_MISSING_RIGHTS = "fusionsolar_missing_rights"


class FusionSolarMissingRights:
    """Collects the interfaces the account may not use, for the user to request."""

    def __init__(self, hass: HomeAssistant, entry: SolarCloudConfigEntry) -> None:
        """Start without missing rights (a new setup checks again)."""
        self._hass = hass
        self._entry = entry
        self.rights: set[str] = set()
        async_delete_issue(hass, entry, ISSUE_MISSING_RIGHTS)

    @callback
    def report(self, err: ApiPermissionError) -> None:
        """Note a refused interface and raise (or update) the repair issue."""
        right = err.missing_right or err.reason
        if right in self.rights:
            return
        self.rights.add(right)
        self._async_update_issue()

    @callback
    def answered(self, interfaces: Iterable[str]) -> None:
        """Take calls of ``interfaces`` that were answered: those rights are there."""
        if granted := self.rights.intersection(interfaces):
            self.rights -= granted
            self._async_update_issue()

    @callback
    def _async_update_issue(self) -> None:
        if not self.rights:
            async_delete_issue(self._hass, self._entry, ISSUE_MISSING_RIGHTS)
            return
        async_create_issue(
            self._hass,
            self._entry,
            ISSUE_MISSING_RIGHTS,
            placeholders={"rights": ", ".join(sorted(self.rights))},
        )

"""What a loaded config entry holds: ``entry.runtime_data``.

Every vendor builds a subclass of :class:`SolarCloudData` in its setup. The
generic parts of the integration (platform forwarding, diagnostics, device
removal, history) only talk to this base class; a vendor's actions are listed
in its :class:`VendorIntegration`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.config_entries import ConfigEntry, OptionsFlow
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_VENDOR, VENDOR_NAMES, Vendor

if TYPE_CHECKING:
    from .actions import Action
    from .coordinator import SolarCloudCoordinator
    from .history import HistoryImporter
    from .history_source import HistorySource

type SolarCloudConfigEntry = ConfigEntry[SolarCloudData]
type PlatformSetup = Callable[
    [HomeAssistant, SolarCloudConfigEntry, AddConfigEntryEntitiesCallback],
    Awaitable[None],
]


@dataclass(kw_only=True)
class SolarCloudData:
    """Runtime data of one config entry (one vendor account)."""

    vendor: ClassVar[Vendor]

    coordinators: Sequence[SolarCloudCoordinator[Any]] = field(default_factory=list)
    platforms: Mapping[Platform, PlatformSetup] = field(default_factory=dict)
    """The entity platforms this account uses, and how each adds its entities."""
    history: HistoryImporter | None = None
    """Imports the energy history into statistics (set up after the vendor)."""

    def history_source(self) -> HistorySource | None:
        """Return the account's energy history, if the vendor serves one."""
        return None

    def device_keys(self) -> set[str]:
        """Return the vendor keys of the devices the account still reports.

        Used to let the user delete devices that are gone, and nothing else.
        """
        return set()

    def diagnostics(self) -> dict[str, Any]:
        """Return what the vendor knows, for the diagnostics download."""
        return {
            "coordinators": {
                coordinator.data_name: {
                    "last_update_success": coordinator.last_update_success,
                    "last_update_success_time": coordinator.last_update_success_time,
                }
                for coordinator in self.coordinators
            },
            "history": self.history.diagnostics() if self.history else None,
        }

    async def async_unload(self) -> None:
        """Release what the account holds (sessions, webhooks) on unload."""


def vendor_data[DataT: SolarCloudData](
    entry: SolarCloudConfigEntry, kind: type[DataT]
) -> DataT:
    """Return a loaded entry's runtime data as its vendor's own class.

    Raises:
        TypeError: The entry is not loaded, or belongs to another vendor.

    """
    data = getattr(entry, "runtime_data", None)
    if not isinstance(data, kind):
        raise TypeError(
            f"{entry.title} is not a loaded {VENDOR_NAMES[kind.vendor]} account"
        )
    return data


def account_log_name(entry: SolarCloudConfigEntry) -> str:
    """Return how logs name an account: vendor and entry id, never the title.

    Titles are e-mail addresses or user names; the entry id is on the account's
    page in Home Assistant (its URL), so a user can still tell which it is.
    """
    return f"{VENDOR_NAMES[Vendor(entry.data[CONF_VENDOR])]} account {entry.entry_id}"


def platform_setup(platform: Platform) -> PlatformSetup:
    """Return a platform's ``async_setup_entry`` that defers to the vendor."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: SolarCloudConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        if (setup := entry.runtime_data.platforms.get(platform)) is not None:
            await setup(hass, entry, async_add_entities)

    return async_setup_entry


@dataclass(frozen=True, kw_only=True)
class VendorIntegration:
    """How the generic integration reaches one vendor's Home Assistant layer."""

    async_setup_entry: Callable[
        [HomeAssistant, SolarCloudConfigEntry], Awaitable[SolarCloudData]
    ]
    """Build the entry's runtime data; raise ConfigEntry* errors on failure."""

    async_remove_entry: (
        Callable[[HomeAssistant, SolarCloudConfigEntry], Awaitable[None]] | None
    ) = None
    """Undo at the vendor what the entry registered there (webhooks)."""

    options_flow: type[OptionsFlow] | None = None

    actions: Sequence[Action[Any, Any]] = ()
    """The actions the vendor carries out (``actions.py``, ``services.py``)."""

    redact_keys: frozenset[str] = frozenset()
    """Keys diagnostics redact on top of the common ones: the vendor's own
    spellings of secrets and personal data, in its entry data and its
    runtime data."""

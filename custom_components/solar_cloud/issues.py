"""Repair issues raised for one config entry."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .runtime import SolarCloudConfigEntry


def issue_id(
    entry: SolarCloudConfigEntry, key: str, instance: str | None = None
) -> str:
    """Return the id of the entry's issue ``key`` (about ``instance``, if given)."""
    if instance is None:
        return f"{entry.entry_id}_{key}"
    return f"{entry.entry_id}_{key}_{instance}"


@callback
def async_create_issue(
    hass: HomeAssistant,
    entry: SolarCloudConfigEntry,
    key: str,
    *,
    instance: str | None = None,
    placeholders: dict[str, str] | None = None,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    is_fixable: bool = False,
    is_persistent: bool = False,
    learn_more_url: str | None = None,
) -> None:
    """Raise (or update) the entry's issue ``key``, translated by ``key``.

    ``instance`` tells apart several issues of one kind (one per sensor, say);
    a persistent issue outlives restarts until the user dismisses it.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry, key, instance),
        is_fixable=is_fixable,
        is_persistent=is_persistent,
        severity=severity,
        translation_key=key,
        translation_placeholders={"entry": entry.title, **(placeholders or {})},
        learn_more_url=learn_more_url,
        data={"entry_id": entry.entry_id},
    )


@callback
def async_delete_issue(
    hass: HomeAssistant, entry: SolarCloudConfigEntry, key: str
) -> None:
    """Resolve the entry's issue ``key`` if it is raised."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry, key))


@callback
def async_delete_entry_issues(
    hass: HomeAssistant, entry: SolarCloudConfigEntry
) -> None:
    """Resolve every issue of an entry that is being removed."""
    registry = ir.async_get(hass)
    prefix = f"{entry.entry_id}_"
    for domain, issue in list(registry.issues):
        if domain == DOMAIN and issue.startswith(prefix):
            registry.async_delete(domain, issue)

"""Static checks of what hassfest, HACS and Home Assistant's loader rely on.

The GitHub workflows run hassfest and the HACS action; these checks catch the
same mistakes locally and in CI, where those actions cannot run.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.util.yaml import load_yaml

from .const import ROOT

INTEGRATION = ROOT / "custom_components" / "solar_cloud"

# script/hassfest/quality_scale.py of Home Assistant 2026.10.
QUALITY_SCALE_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry", "action-exceptions",
    "config-entry-unloading", "docs-configuration-parameters", "docs-installation-parameters",
    "entity-unavailable", "integration-owner", "log-when-unavailable", "parallel-updates",
    "reauthentication-flow", "test-coverage", "devices", "diagnostics", "discovery",
    "discovery-update-info", "docs-data-update", "docs-examples", "docs-known-limitations",
    "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting", "docs-use-cases",
    "dynamic-devices", "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations", "reconfiguration-flow",
    "repair-issues", "stale-devices", "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip

# hacs/integration custom_components/hacs/utils/validate.py HACS_MANIFEST_JSON_SCHEMA.
HACS_KEYS = {
    "content_in_root", "country", "filename", "hacs", "hide_default_branch",
    "homeassistant", "persistent_directory", "render_readme", "zip_release", "name",
}  # fmt: skip

OAUTH_SHARED_ABORTS = {
    "authorize_url_timeout", "missing_credentials", "missing_configuration", "no_url_available",
    "oauth_error", "oauth_failed", "oauth_implementation_unavailable", "oauth_timeout",
    "oauth_unauthorized", "user_rejected_authorize",
}  # fmt: skip


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _sources() -> list[tuple[Path, str]]:
    return [
        (path, path.read_text("utf-8")) for path in sorted(INTEGRATION.rglob("*.py"))
    ]


def test_translations_are_current_and_complete() -> None:
    """en.json is built from strings.json; every other language has the same keys."""
    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


def test_strings_have_no_urls() -> None:
    """hassfest refuses URLs in translations: they go into placeholders."""
    text = (INTEGRATION / "strings.json").read_text("utf-8")
    assert not re.findall(r"https?://", text)


def test_every_error_reason_is_translated() -> None:
    """Client error reasons are shown as translated messages."""
    strings = _json(INTEGRATION / "strings.json")
    exceptions = strings["exceptions"]
    flow_aborts = set(strings["config"]["abort"])
    reasons = set()
    for _path, source in _sources():
        reasons |= set(re.findall(r"\breason=\"([a-z0-9_]+)\"", source))
        reasons |= set(re.findall(r"default_reason = \"([a-z0-9_]+)\"", source))
    aborts = set()
    for _path, source in _sources():
        aborts |= set(re.findall(r"async_abort\(\s*reason=\"([a-z0-9_]+)\"", source))
    missing = {
        reason for reason in reasons - aborts - flow_aborts if reason not in exceptions
    }
    assert not missing, (
        f"reasons without exceptions.<reason>.message: {sorted(missing)}"
    )


def test_every_translation_key_exists() -> None:
    """Every translation_key in the code has a string (exception, issue, entity, selector)."""
    strings = _json(INTEGRATION / "strings.json")
    known = (
        set(strings.get("exceptions", {}))
        | set(strings.get("issues", {}))
        | set(strings.get("selector", {}))
    )
    for platform in strings.get("entity", {}).values():
        known |= set(platform)
    used = set()
    for _path, source in _sources():
        used |= set(re.findall(r"translation_key=\"([a-z0-9_]+)\"", source))
    assert not used - known, f"translation keys without strings: {sorted(used - known)}"


def test_every_abort_reason_is_translated() -> None:
    """Flow abort reasons have strings (shared OAuth2 ones come with Home Assistant)."""
    strings = _json(INTEGRATION / "strings.json")
    known = (
        set(strings["config"]["abort"])
        | set(strings.get("options", {}).get("abort", {}))
        | {
            reason
            for issue in strings["issues"].values()
            for reason in issue.get("fix_flow", {}).get("abort", {})
        }
    )
    used = set()
    for _path, source in _sources():
        used |= set(re.findall(r"async_abort\(\s*reason=\"([a-z0-9_]+)\"", source))
    assert not used - known - OAUTH_SHARED_ABORTS


def test_services_are_described_and_have_icons() -> None:
    """services.yaml, strings.json and icons.json describe the same actions and fields."""
    services = load_yaml(str(INTEGRATION / "services.yaml"))
    assert isinstance(services, dict)
    strings = _json(INTEGRATION / "strings.json")["services"]
    icons = _json(INTEGRATION / "icons.json")["services"]
    assert set(services) == set(strings) == set(icons)
    for name, service in services.items():
        fields = set((service or {}).get("fields", {}))
        assert fields == set(strings[name].get("fields", {})), name
        assert strings[name]["name"]
        assert strings[name]["description"]


def test_manifest() -> None:
    """manifest.json has what hassfest and HACS require, keys in hassfest's order."""
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "solar_cloud"
    for key in (
        "codeowners",
        "documentation",
        "issue_tracker",
        "version",
        "iot_class",
        "integration_type",
    ):
        assert manifest[key]
    assert manifest["config_flow"] is True
    assert set(manifest["dependencies"]) == {
        "application_credentials",
        "http",
        "webhook",
    }
    # Home Assistant Cloud for cloudhooks; the recorder for history statistics.
    assert manifest["after_dependencies"] == ["cloud", "recorder"]
    assert all(" " not in requirement for requirement in manifest["requirements"])


def test_hacs_json() -> None:
    """hacs.json has only the keys HACS accepts."""
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    assert hacs["homeassistant"] == "2026.10.0"


def test_quality_scale_lists_every_rule() -> None:
    """quality_scale.yaml has a status for every rule; exemptions say why."""
    rules = load_yaml(str(INTEGRATION / "quality_scale.yaml"))["rules"]  # type: ignore[index]
    assert set(rules) == QUALITY_SCALE_RULES
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status == "exempt":
            assert rule["comment"], name


def test_icons_reference_translation_keys() -> None:
    """Entity icons in icons.json belong to translation keys that exist."""
    icons = _json(INTEGRATION / "icons.json").get("entity", {})
    entities = _json(INTEGRATION / "strings.json").get("entity", {})
    for platform, keys in icons.items():
        assert set(keys) <= set(entities.get(platform, {})), platform

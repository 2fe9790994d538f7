"""Build translations/en.json from strings.json, or check that it is current.

Home Assistant resolves ``[%key:...%]`` references only for core integrations;
a custom integration ships resolved files. This script resolves references to
Home Assistant's common strings and to this integration's own keys, the way
Home Assistant's own translation tooling does, and writes the English file.

    python scripts/translations.py           # write translations/en.json
    python scripts/translations.py --check   # exit 1 if en.json is stale,
                                            # or de.json misses or adds keys
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "solar_cloud"
DOMAIN = "solar_cloud"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:\-]+)%\]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _lookup(tree: dict[str, Any], path: list[str]) -> str:
    node: Any = tree
    for part in path:
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"Reference {'::'.join(path)} is not a string")
    return node


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Return ``strings`` with every reference replaced by its text."""
    core = json.loads(
        (Path(homeassistant.__file__).parent / "strings.json").read_text("utf-8")
    )

    def replace(match: re.Match[str]) -> str:
        path = match.group(1).split("::")
        if path[0] == "common":
            return resolve_text(_lookup(core, path))
        if path[:2] == ["component", DOMAIN]:
            return resolve_text(_lookup(strings, path[2:]))
        raise KeyError(f"Unsupported reference {match.group(0)}")

    def resolve_text(text: str) -> str:
        return REFERENCE.sub(replace, text)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return resolve_text(node)

    result: dict[str, Any] = walk(strings)
    return result


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        flat: dict[str, str] = {}
        for key, value in node.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): node}


def translation_problems(english: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Return how ``other`` differs from ``english`` in keys and placeholders."""
    flat_en, flat_other = _flatten(english), _flatten(other)
    problems = [f"missing {key}" for key in flat_en.keys() - flat_other.keys()]
    problems += [f"unknown {key}" for key in flat_other.keys() - flat_en.keys()]
    for key in flat_en.keys() & flat_other.keys():
        want = set(PLACEHOLDER.findall(flat_en[key]))
        if (have := set(PLACEHOLDER.findall(flat_other[key]))) != want:
            problems.append(f"placeholders of {key}: {sorted(have)} != {sorted(want)}")
    return sorted(problems)


def main(argv: list[str]) -> int:
    """Write or check the translation files."""
    strings = json.loads((INTEGRATION / "strings.json").read_text("utf-8"))
    english = resolve(strings)
    rendered = json.dumps(english, indent=2, ensure_ascii=False) + "\n"
    en_path = INTEGRATION / "translations" / "en.json"
    if "--check" not in argv:
        en_path.write_text(rendered, "utf-8")
        return 0
    failed = False
    if not en_path.exists() or en_path.read_text("utf-8") != rendered:
        print("translations/en.json is stale: run python scripts/translations.py")
        failed = True
    for path in sorted((INTEGRATION / "translations").glob("*.json")):
        if path.name == "en.json":
            continue
        for problem in translation_problems(
            english, json.loads(path.read_text("utf-8"))
        ):
            print(f"{path.name}: {problem}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

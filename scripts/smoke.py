"""The demo check against other Home Assistant releases.

    scripts/smoke [VERSION ...]

For each VERSION (default ``newest``: the newest release on PyPI; ``minimum``:
the version hacs.json requires), install that Home Assistant from PyPI into a
venv of its own and run ``scripts/demo --check`` against it: the simulators
and the checks run in the project's ``.venv``, Home Assistant in the other
venv, on this repository's integration. Home Assistant installs the
requirements of the integrations it loads on its first start (the frontend,
protobuf, ...), as it does for users who run it in a venv.

The venvs are kept under ``$SOLAR_CLOUD_SMOKE_DIR`` (default
``~/.cache/solar-cloud/smoke``), one per version, so a second run of a version
starts at once. Exits 0 when every version passed.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
READY = ".solar-cloud-smoke"


def cache_dir() -> Path:
    """Return where the smoke venvs live."""
    if configured := os.environ.get("SOLAR_CLOUD_SMOKE_DIR"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "solar-cloud" / "smoke"


def newest() -> str:
    """Return the newest Home Assistant release on PyPI."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "homeassistant"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    match = re.search(r"^homeassistant \(([^)]+)\)", result.stdout, re.MULTILINE)
    if result.returncode or match is None:
        sys.exit(
            "scripts/smoke: PyPI did not say which Home Assistant is the newest "
            f"(no connection?); give a VERSION.\n{result.stderr.strip()}"
        )
    return match[1]


def minimum() -> str:
    """Return the oldest Home Assistant hacs.json allows."""
    return str(json.loads((ROOT / "hacs.json").read_text("utf-8"))["homeassistant"])


def install(version: str) -> Path:
    """Return a venv with Home Assistant ``version``, installing it if needed."""
    venv = cache_dir() / version
    if (venv / READY).is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # The Python of the project's venv (>= 3.14.2) is a Python Home Assistant runs on.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-qq", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-qq", f"homeassistant=={version}"], check=True)
    (venv / READY).write_text(version)
    return venv


def smoke(version: str) -> tuple[bool, str]:
    """Install ``version`` and run the demo check; return passed and a summary."""
    print(f"\n== Home Assistant {version}", flush=True)
    started = time.monotonic()
    try:
        venv = install(version)
    except subprocess.CalledProcessError as err:
        return False, f"could not install it ({err})"
    installed = time.monotonic() - started
    print(f"venv: {venv} ({installed:.0f} s)", flush=True)
    started = time.monotonic()
    check = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--check",
            "--hass",
            str(venv / "bin" / "hass"),
        ],
        check=False,
    )
    took = time.monotonic() - started
    verdict = "passed" if check.returncode == 0 else "FAILED"
    return (
        check.returncode == 0,
        f"{verdict} (install {installed:.0f} s, demo check {took:.0f} s)",
    )


def main() -> int:
    """Smoke-test every version asked for; print a summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "versions",
        nargs="*",
        metavar="VERSION",
        help="a release such as 2026.10.0, 'newest' (the default) or 'minimum'",
    )
    args = parser.parse_args()
    named = {"newest": newest, "minimum": minimum}
    versions = [named[v]() if v in named else v for v in args.versions or ["newest"]]
    results = {version: smoke(version) for version in dict.fromkeys(versions)}
    print("\nscripts/smoke:")
    for version, (_, summary) in results.items():
        print(f"  Home Assistant {version}: {summary}")
    return 0 if all(passed for passed, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

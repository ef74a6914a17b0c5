"""Tests that fail when the docs drift from the code (as Datasette's test_docs.py does)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from townsquare.api.routing import SPECS
from townsquare.app import create_app  # noqa: F401  (imports every route module)
from townsquare.config import Settings
from townsquare.timelines.tuning import Tuning

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _help(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "townsquare.cli", *args, "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_env_vars_exist_in_settings() -> None:
    documented = set(re.findall(r"TOWNSQUARE_([A-Z0-9_]+)", README))
    known = {f.name.upper() for f in fields(Settings)} | {
        f.name.upper() for f in fields(Tuning)} | {
        "PASSWORD",  # read by `townsquare createuser`
        "RATE_LIMITS",  # read by integrity/ratelimit.py
        "TEST_BACKENDS", "TEST_POSTGRES_URL",  # read by tests/conftest.py
    }
    assert documented, "the README documents no variables?"
    assert documented <= known, f"README documents unknown variables: {documented - known}"


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"TOWNSQUARE_([A-Z0-9_]+)", README))
    settable = {f.name.upper() for f in fields(Settings) if f.name != "extra"}
    assert settable <= documented, f"undocumented settings: {settable - documented}"


def test_readme_commands_exist() -> None:
    commands = set(re.findall(r"(?:bin/|`)townsquare (\w+)", README))
    assert {"serve", "createuser", "migrate"} <= commands
    listed = _help()
    for command in commands:
        assert re.search(rf"\b{command}\b", listed), f"`townsquare {command}` is not a command"
    for option in ("--demo", "--port", "--host", "--data-dir", "--database-url"):
        assert option in _help("serve"), option
    assert "--email" in _help("createuser")


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    assert "pip install -e . && .venv/bin/townsquare serve" in blocks[0]
    test_block = next(b for b in blocks if "pytest" in b)
    assert "pip install -e '.[test]'" in test_block
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_block.strip() in ci.splitlines(), "CI does not run the README's test command"
    assert "export CI=true" in ci


def test_api_doc_lists_every_route() -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    missing = sorted({f"{s.method} {s.path}" for s in SPECS
                      if f"`{s.method} {s.path}`" not in doc})
    assert not missing, f"docs/api.md does not list: {missing}"

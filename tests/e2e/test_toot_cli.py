"""The `toot` CLI, unchanged, against a live server, as a person at a terminal uses it.

toot takes a full base URL for --instance and keeps it as given (`validate_instance` only adds
https:// to a bare domain), so `--instance http://127.0.0.1:PORT` works on plain http. Its config
goes to $XDG_CONFIG_HOME/toot, pointed at a temp dir so the tests never touch the real one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.e2e


def toot_command() -> list[str]:
    exe = Path(sys.executable).with_name("toot")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("toot")
    assert found, "toot is not installed: pip install -e '.[test]'"
    return [found]


class Toot:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                    "COLUMNS": "120", "TERM": "dumb"}

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*toot_command(), "--no-color", *args], env=self.env,
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if ok:
            assert done.returncode == 0, (
                f"toot {' '.join(args)} exited {done.returncode}\n"
                f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def toot(tmp_path: Path) -> Toot:
    return Toot(tmp_path)


def test_toot_login_post_follow_timeline_notifications_search(
        live_server: LiveServer, toot: Toot) -> None:
    url = live_server.url
    # toot sends the email as the password grant's username.
    done = toot("login_cli", "--instance", url, "--email", live_server.emails["erin"],
                "--password", PASSWORD)
    assert "Successfully logged in" in done.stdout
    assert "erin" in toot("whoami").stdout

    posted = toot.json("post", "Hello from toot about #terminals")
    assert posted["account"]["username"] == "erin"
    assert "terminals" in posted["content"]

    followed = toot.json("follow", "alice")
    assert followed["following"] is True or followed["requested"] is True

    home = toot.json("timelines", "home")
    assert posted["id"] in [s["id"] for s in home]
    # The human-readable form renders too (toot parses every field it shows).
    assert "Hello from toot" in toot("timelines", "home", "--no-pager").stdout

    # alice mentions erin; erin sees it in `toot notifications`.
    alice = Toot(live_server.data_dir.parent / "alice-home")
    alice("login_cli", "--instance", url, "--email", live_server.emails["alice"],
          "--password", PASSWORD)
    alice("post", "@erin welcome to the square")
    notes = toot.json("notifications")
    assert any(n["type"] == "mention" for n in notes)
    assert "welcome to the square" in toot("notifications").stdout

    found = toot.json("search", "terminals")
    assert any("terminals" in s["content"] for s in found["statuses"])
    assert "terminals" in [t["name"] for t in found["hashtags"]]
    assert "alice" in toot("search", "alice").stdout

"""`townsquare serve --loop`: the event loop is a choice (docs/deploy.md); Python's own loop
serves a real socket like uvloop does, and an unknown loop is refused before anything
starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import free_port


def test_serve_on_pythons_own_event_loop(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("TOWNSQUARE_DATABASE_URL", "TOWNSQUARE_REDIS_URL")}
    env.update(TOWNSQUARE_SECRET_KEY="loop-test", PYTHONUNBUFFERED="1")
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(port),
             "--data-dir", str(tmp_path / "data"), "--loop", "asyncio",
             "--log-level", "info"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/townsquare/hello", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()["hello"] == "world"
        home = httpx.get(f"http://127.0.0.1:{port}/api/v1/timelines/home", timeout=5)
        assert home.status_code == 401
        assert "error" in home.json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)  # uvicorn re-raises SIGTERM once shut down: -15, not 0
    assert "Application shutdown complete" in log.read_text()


def test_an_unknown_event_loop_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "townsquare.cli", "serve", "--loop", "fast"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "invalid choice: 'fast'" in done.stderr

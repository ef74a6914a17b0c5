"""`townsquare serve --workers 2` without Redis: the periodic jobs run in one of the two web
processes (the one holding <data dir>/periodic.lock), not in both (jobs/periodic.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port, start_up_rescorings
from townsquare.context import Context

ROOT = Path(__file__).resolve().parents[1]


async def test_two_web_processes_run_each_periodic_job_once(ctx: Context) -> None:
    port = free_port()
    s = ctx.settings
    env = {k: v for k, v in os.environ.items() if k != "TOWNSQUARE_REDIS_URL"}
    env.update(TOWNSQUARE_DATABASE_URL=s.resolved_database_url,
               TOWNSQUARE_DATA_DIR=str(s.data_dir), TOWNSQUARE_SECRET_KEY="k")
    proc = subprocess.Popen([sys.executable, "-m", "townsquare.cli", "serve", "--port",
                             str(port), "--workers", "2", "--log-level", "warning"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/townsquare/hello").status_code \
                        == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("townsquare serve --workers 2 did not start")
        # The rescoring due at start runs in the process holding the lock; the pause gives
        # the other one the time to run it too, were it not for the lock (it did before).
        assert await start_up_rescorings(ctx) == 1
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()

"""A live townsquare on a real socket, one per backend, for real clients to drive.

The server runs as a subprocess (`python -m townsquare.cli serve`) exactly as the README starts
it, on a free loopback port, with its own data directory and (on PostgreSQL) its own throwaway
database. Accounts are made with `townsquare createuser`, as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, PG_URL, missing
from tests.helpers import free_port

PASSWORD = "correct horse battery"
USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


@dataclass
class LiveServer:
    backend: str
    url: str
    data_dir: Path
    database_url: str
    env: dict[str, str]
    log: Path
    emails: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "townsquare.cli", *args, "--data-dir", str(self.data_dir),
             "--database-url", self.database_url],
            env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL)

    def createusers(self, usernames: list[str], password: str = PASSWORD) -> None:
        """`townsquare createuser` for each, run side by side (each is a cold Python start)."""
        procs = []
        for username in usernames:
            email = f"{username}@e2e.example.org"
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "townsquare.cli", "createuser", username, "--email", email,
                 "--data-dir", str(self.data_dir), "--database-url", self.database_url],
                env={**self.env, "TOWNSQUARE_PASSWORD": password}, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True))
            self.emails[username] = email
        for username, proc in zip(usernames, procs, strict=True):
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, f"createuser {username}: {out}"
            assert f"created @{username}" in out, out

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(host=u.host, port=u.port or 5432,
                                     user=u.username or "postgres", password=u.password,
                                     database=u.database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _start(backend: str, tmp: Path) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp / "data"
    pg_name = None
    if backend == "sqlite":
        database_url = f"sqlite:///{(data_dir / 'townsquare.db').resolve()}"
    else:
        pg_name = f"townsquare_e2e_{uuid.uuid4().hex[:10]}"
        try:
            _pg_admin(PG_URL, f'CREATE DATABASE "{pg_name}"')
        except Exception as exc:
            missing("PostgreSQL", f"{exc!r}; start it or set TOWNSQUARE_TEST_POSTGRES_URL "
                    f"(tried {PG_URL}); or TOWNSQUARE_TEST_BACKENDS=sqlite")
        database_url = make_url(PG_URL).set(database=pg_name).render_as_string(
            hide_password=False)
    env = {**os.environ,
           "TOWNSQUARE_PUBLIC_URL": url,
           "TOWNSQUARE_ARGON2_TIME_COST": "1",
           "TOWNSQUARE_ARGON2_MEMORY_COST": "1024",
           "TOWNSQUARE_SECRET_KEY": "e2e-secret",
           "PYTHONUNBUFFERED": "1"}
    for key in ("TOWNSQUARE_DATABASE_URL", "TOWNSQUARE_DATA_DIR", "TOWNSQUARE_REDIS_URL"):
        env.pop(key, None)
    log = tmp / "server.log"
    server = LiveServer(backend, url, data_dir, database_url, env, log)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "townsquare.cli", "serve", "--port", str(port),
             "--data-dir", str(data_dir), "--database-url", database_url,
             "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health in 60 s:\n{server.log_tail()}")
            time.sleep(0.1)
        server.createusers(USERS)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if pg_name is not None:
            _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    backend = str(request.param)
    yield from _start(backend, tmp_path_factory.mktemp(f"e2e-{backend}"))

"""Shared fixtures: every API test runs on SQLite and on PostgreSQL.

- `backend` is parametrised: sqlite, postgresql. `TOWNSQUARE_TEST_BACKENDS=sqlite` narrows it.
- PostgreSQL: a fresh database per test session on TOWNSQUARE_TEST_POSTGRES_URL's server
  (default postgresql://postgres@127.0.0.1:5432/test), tables truncated between tests. When
  the server is unreachable the PostgreSQL cases skip, saying how to enable them; with CI=true
  they fail instead.
- SQLite: a migrated template database copied for each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.helpers import Client
from townsquare.app import create_app
from townsquare.config import Settings
from townsquare.context import Context, build_context
from townsquare.model.clock import FrozenClock
from townsquare.store.migrate import upgrade
from townsquare.store.tables import metadata

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("TOWNSQUARE_TEST_POSTGRES_URL",
                        "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("TOWNSQUARE_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b]


def missing(what: str, how: str) -> None:
    """Skip on a laptop, fail in CI: CI must never silently skip a service."""
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)



@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "townsquare.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """Create a throwaway database on the test server; None if unreachable."""
    import asyncio

    import asyncpg

    base = make_url(PG_URL)
    name = f"townsquare_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=base.host, port=base.port or 5432,
                                     user=base.username or "postgres",
                                     password=base.password, database=base.database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, bad credentials
        yield None
        _ = exc
        return
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def database_url(backend: str, tmp_path: Path, sqlite_template: Path,
                 request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        target = tmp_path / "data" / "townsquare.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_database")
    if url is None:
        missing("PostgreSQL", f"start it or set TOWNSQUARE_TEST_POSTGRES_URL (tried {PG_URL}); "
                "or run only SQLite with TOWNSQUARE_TEST_BACKENDS=sqlite")
    _truncate(url)
    return str(url)


def _truncate(url: str) -> None:
    import asyncio

    import asyncpg

    u = make_url(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)

    async def run() -> None:
        conn = await asyncpg.connect(host=u.host, port=u.port or 5432,
                                     user=u.username or "postgres", password=u.password,
                                     database=u.database)
        try:
            await conn.execute(f"TRUNCATE {names} CASCADE")
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url,
                    host="testserver", port=80, public_url="http://testserver",
                    argon2_time_cost=1, argon2_memory_cost=1024, secret_key="test-secret")


@pytest.fixture
async def ctx(settings: Settings, clock: FrozenClock) -> AsyncIterator[Context]:
    context = build_context(settings, clock=clock)
    yield context
    await context.jobs.stop()
    await context.db.dispose()


@pytest.fixture
async def client(ctx: Context) -> AsyncIterator[Client]:
    app = create_app(ctx.settings, ctx=ctx, start_jobs=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Client(http, ctx)



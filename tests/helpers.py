"""Test helpers: an API client that knows users and their tokens, an app on a database file
of a test's own, database snapshots, and what the periodic jobs of started processes did."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from townsquare.actions.accounts import NewAccount, create_account
from townsquare.actions.oauth import issue_token
from townsquare.app import create_app
from townsquare.config import Settings
from townsquare.context import Context, build_context
from townsquare.model.clock import Clock
from townsquare.store.tables import metadata
from townsquare.store.tables_notes import note_scoring_runs

ALL_SCOPES = ["read", "write", "follow", "push"]


@dataclass
class User:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Client:
    """httpx against the in-process app, plus shortcuts: `await c.get(path, as_=alice)`."""

    def __init__(self, http: httpx.AsyncClient, ctx: Context) -> None:
        self.http = http
        self.ctx = ctx

    async def user(self, username: str, *, scopes: list[str] | None = None, locked: bool = False,
                   bot: bool = False) -> User:
        account_id = await create_account(self.ctx, NewAccount(
            username=username, email=f"{username}@example.org", password="correct horse",
            locked=locked, bot=bot))
        _, token = await issue_token(self.ctx, None, account_id, scopes or ALL_SCOPES)
        return User(account_id, username, token)

    async def token(self, user: User, scopes: list[str]) -> User:
        _, token = await issue_token(self.ctx, None, user.id, scopes)
        return User(user.id, user.username, token)

    def _h(self, as_: User | None, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(as_.headers) if as_ else {}
        out.update(headers or {})
        return out

    async def get(self, path: str, *, as_: User | None = None, params: Any = None,
                  headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self._h(as_, headers))

    async def post(self, path: str, *, as_: User | None = None, json: Any = None,
                   data: Any = None, files: Any = None, params: Any = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(path, json=json, data=data, files=files, params=params,
                                    headers=self._h(as_, headers))

    async def put(self, path: str, *, as_: User | None = None, json: Any = None,
                  data: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.put(path, json=json, data=data, headers=self._h(as_, headers))

    async def patch(self, path: str, *, as_: User | None = None, json: Any = None,
                    data: Any = None, files: Any = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.patch(path, json=json, data=data, files=files,
                                     headers=self._h(as_, headers))

    async def delete(self, path: str, *, as_: User | None = None,
                     headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.delete(path, headers=self._h(as_, headers))

    async def post_status(self, as_: User, text: str = "hello", **fields: Any) -> dict[str, Any]:
        r = await self.post("/api/v1/statuses", as_=as_, json={"status": text, **fields})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def follow(self, follower: User, target: User) -> None:
        r = await self.post(f"/api/v1/accounts/{target.id}/follow", as_=follower)
        assert r.status_code == 200, r.text


async def row_counts(ctx: Context) -> dict[str, int]:
    """Rows per table: compare before and after a refused request to prove nothing changed."""
    out: dict[str, int] = {}
    async with ctx.db.read() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = (await conn.execute(select(func.count()).select_from(table))
                               ).scalar_one()
    return out


async def start_up_rescorings(ctx: Context, settle: float = 2.0) -> int:
    """How many scheduled notes rescorings the processes just started made: waits for the
    first (due at each periodic loop's start), then `settle` seconds for any other."""

    async def count() -> int:
        async with ctx.db.read() as conn:
            return int((await conn.execute(
                select(func.count()).select_from(note_scoring_runs)
                .where(note_scoring_runs.c.trigger == "schedule"))).scalar_one())

    for _ in range(100):
        if await count():
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(settle)
    return await count()


def file_settings(data_dir: Path) -> Settings:
    """Settings for an embedded database in `data_dir` (a test that changes the file between
    two runs of the app, as a migration test does)."""
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'townsquare.db'}",
                    host="testserver", port=80, public_url="http://testserver",
                    argon2_time_cost=1, argon2_memory_cost=1024, secret_key="test-secret")


@asynccontextmanager
async def app_on(settings: Settings, clock: Clock) -> AsyncIterator[Client]:
    """A Client on an app started for `settings`, stopped (jobs, connections) at the end."""
    ctx = build_context(settings, clock=clock)
    app = create_app(settings, ctx=ctx, start_jobs=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        yield Client(http, ctx)
    finally:
        await http.aclose()
        await ctx.jobs.stop()
        await ctx.db.dispose()


def free_port() -> int:
    """A TCP port free on loopback now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

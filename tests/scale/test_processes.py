"""Two web processes and two workers on loopback, sharing the database and Redis: a post made
through one web process is streamed (SSE and websocket) by the other and lands in followers'
home timelines through the workers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.helpers import free_port, start_up_rescorings
from tests.scale.world import account, follow
from townsquare.actions.oauth import issue_token
from townsquare.context import Context
from townsquare.store.tables import statuses, tokens

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store() -> str:
    return "redis"


@pytest.fixture
def cluster(ctx: Context) -> Iterator[list[str]]:
    s = ctx.settings
    env = dict(os.environ, TOWNSQUARE_DATABASE_URL=s.resolved_database_url,
               TOWNSQUARE_REDIS_URL=s.redis_url, TOWNSQUARE_DATA_DIR=str(s.data_dir),
               TOWNSQUARE_REDIS_PREFIX=s.extra["redis_prefix"], TOWNSQUARE_SECRET_KEY="k")
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "townsquare.cli", "serve", "--port",
                               str(p), "--log-level", "warning"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL)
             for p in ports]
    procs += [subprocess.Popen([sys.executable, "-m", "townsquare.cli", "worker",
                                "--log-level", "warning"], env=env, cwd=ROOT)
              for _ in range(2)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url in urls:
            for _ in range(200):
                try:
                    if httpx.get(url + "/api/v1/streaming/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                import time

                time.sleep(0.1)
            else:
                pytest.fail(f"{url} did not start")
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.own_workers
async def test_two_web_two_workers_stream_and_deliver(ctx: Context,
                                                      cluster: list[str]) -> None:
    import websockets

    a, b = cluster
    author, reader = await account(ctx, "author"), await account(ctx, "reader")
    await follow(ctx, reader, author)
    _, author_token = await issue_token(ctx, None, author, ["read", "write"])
    _, reader_token = await issue_token(ctx, None, reader, ["read", "write"])
    rh = {"Authorization": f"Bearer {reader_token}"}
    async with httpx.AsyncClient(timeout=20) as http:
        assert (await http.get(a + "/api/v1/timelines/home", headers=rh)).json() == []
        sse_lines: list[str] = []

        async def read_sse() -> None:
            async with http.stream("GET", a + "/api/v1/streaming/user", headers=rh) as r:
                assert r.status_code == 200
                async for line in r.aiter_lines():
                    sse_lines.append(line)
                    if line.startswith("data: {"):
                        return

        ws_url = a.replace("http", "ws") + "/api/v1/streaming?stream=public"
        async with websockets.connect(ws_url) as ws:
            sse = asyncio.create_task(read_sse())
            await asyncio.sleep(1.5)  # the bus checks for listeners once a second
            r = await http.post(b + "/api/v1/statuses", json={"status": "hello #news"},
                                headers={"Authorization": f"Bearer {author_token}"})
            assert r.status_code == 200, r.text
            sid = r.json()["id"]
            await asyncio.wait_for(sse, 10)
            event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert event["event"] == "update" and event["stream"] == ["public"]
        assert json.loads(event["payload"])["id"] == sid
        assert "event: update" in sse_lines
        assert json.loads(sse_lines[-1][len("data: "):])["id"] == sid
        await ctx.jobs.queue.drain(timeout=20)
        home = (await http.get(a + "/api/v1/timelines/home", headers=rh)).json()
        assert [s["id"] for s in home] == [sid]

        # Periodic jobs run in the workers, each run taken by one of them: the notes
        # rescoring due at start ran once, not once per process (it ran in both web
        # processes before jobs/periodic.py).
        assert await start_up_rescorings(ctx) == 1

        # Process b keeps the author's token identity from the post above (api/auth.py
        # Identities); revoked elsewhere, it is refused there at once, nothing written.
        async with ctx.db.write() as tx:
            await tx.execute(update(tokens).where(tokens.c.account_id == author)
                             .values(revoked_at=ctx.clock.now()))
        r = await http.post(b + "/api/v1/statuses", json={"status": "after revocation"},
                            headers={"Authorization": f"Bearer {author_token}"})
        assert r.status_code == 401, r.text
        async with ctx.db.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(statuses).where(
                statuses.c.account_id == author))).scalar_one() == 1

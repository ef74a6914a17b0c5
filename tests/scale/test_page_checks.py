"""Home pages on Redis checked at the same time share one statement (timelines/truth.py
page_checks, store/coalesce.py): every reader still gets their own page, exactly as when
asked alone, a revoked token in the group is refused and only it, a deleted post is gone
from every page of the group."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update

from tests.helpers import Client, User
from tests.scale.world import follow, post
from townsquare.actions.statuses import delete_status
from townsquare.config import Settings
from townsquare.context import Context
from townsquare.store.tables import tokens


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One statement at a time: every page that arrives meanwhile waits for the next group.
    return settings.with_(extra={**settings.extra, "page_checks": 1})


async def _pages(client: Client, readers: list[User]) -> list[tuple[int, Any]]:
    rs = await asyncio.gather(*(client.get("/api/v1/timelines/home", as_=r,
                                           params={"limit": 20}) for r in readers))
    return [(r.status_code, r.json()) for r in rs]


@pytest.mark.parametrize("store", ["redis"])
async def test_pages_checked_together_are_each_readers_own(ctx: Context, client: Client,
                                                           store: str, backend: str) -> None:
    authors = [await client.user(f"author{i}") for i in range(4)]
    readers = [await client.user(f"reader{i}") for i in range(8)]
    for i, reader in enumerate(readers):  # each follows a different pair of authors
        for author in (authors[i % 4], authors[(i + 1) % 4]):
            await follow(ctx, reader.id, author.id)
    await _pages(client, readers)  # timelines exist from here on: pushes land in them
    posts = {a.id: [await post(ctx, a.id, f"{a.username} {n}") for n in range(3)]
             for a in authors}
    doomed = posts[authors[0].id][1]
    await ctx.jobs.queue.drain(timeout=10)

    alone = []
    for reader in readers:  # one at a time: nothing to group
        r = await client.get("/api/v1/timelines/home", as_=reader, params={"limit": 20})
        assert r.status_code == 200, r.text
        alone.append(r.json())
    for i, page in enumerate(alone):
        mine = {*posts[authors[i % 4].id], *posts[authors[(i + 1) % 4].id]}
        assert [int(s["id"]) for s in page] == sorted(mine, reverse=True)

    checks: Any = ctx.timelines._checks  # type: ignore[attr-defined]
    before = (checks.groups, checks.calls)
    together = await _pages(client, readers)
    assert together == [(200, page) for page in alone]
    groups, calls = checks.groups - before[0], checks.calls - before[1]
    if backend == "postgresql":  # grouped: fewer statements than pages
        assert calls == len(readers) and groups < calls
    else:  # SQLite has no round trip to share: every page runs its own statement
        assert (groups, calls) == (0, 0)

    # A revoked token among them is refused, and only it; a deleted post leaves every page.
    async with ctx.db.write() as tx:
        await tx.execute(update(tokens).where(tokens.c.account_id == readers[3].id)
                         .values(revoked_at=ctx.clock.now()))
    await delete_status(ctx, authors[0].id, doomed)
    after = await _pages(client, readers)
    assert after[3] == (401, {"error": "The access token is invalid"})
    for i, (status, page) in enumerate(after):
        if i == 3:
            continue
        assert status == 200
        assert [s["id"] for s in page] == [s["id"] for s in alone[i] if s["id"] != str(doomed)]

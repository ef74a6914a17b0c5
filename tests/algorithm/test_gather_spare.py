"""gather's second connection: on PostgreSQL the social-proof half of a page runs beside the
other sources. A failure in either half must surface as itself (not wrapped in a group),
stop the other half, and leave every connection able to serve the next reads; the page's
candidates are the same with the second connection or without it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers import Client
from townsquare.actions.interactions import favourite
from townsquare.algorithm import candidates
from townsquare.algorithm.candidates import gather
from townsquare.algorithm.weights import current
from townsquare.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(db_pool=4)  # PostgreSQL: a small pool, held at once by pages


async def _network(client: Client) -> tuple[int, int]:
    """A viewer following three accounts; two of them like a post of a fourth (social
    proof), the others post (in network)."""
    viewer = await client.user("viewer")
    friends = [await client.user(f"friend{i}") for i in range(3)]
    stranger = await client.user("stranger")
    for f in friends:
        await client.follow(viewer, f)
        await client.post_status(f, f"news from {f.username}")
    liked = await client.post_status(stranger, "worth a look")
    for f in friends[:2]:
        await favourite(client.ctx, f.id, int(liked["id"]))
    return viewer.id, int(liked["id"])


async def test_the_same_candidates_with_and_without_a_second_connection(
        client: Client) -> None:
    viewer, liked = await _network(client)
    now, w = client.ctx.clock.now(), current()
    async with client.ctx.db.read() as conn:
        alone = await gather(conn, viewer, now, w)
        beside = await gather(conn, viewer, now, w, db=client.ctx.db)
    assert beside == alone
    proof = {c.status_id: (c.source, c.social_proof) for c in alone}
    assert proof[liked] == ("social_proof", 2)
    assert sum(c.source == "in_network" for c in alone) == 3


@pytest.mark.parametrize("half", ["counts", "picked"])
async def test_a_failing_half_surfaces_as_itself_and_the_connections_serve_on(
        client: Client, monkeypatch: pytest.MonkeyPatch, half: str) -> None:
    viewer, _ = await _network(client)
    now, w = client.ctx.clock.now(), current()
    async with client.ctx.db.read() as conn:
        expected = await gather(conn, viewer, now, w)

    class Broken(RuntimeError):
        pass

    statements: Any = candidates._statements(client.ctx.db.dialect)
    if half == "counts":
        async def fail(*_: Any) -> dict[int, int]:
            raise Broken("counting failed")

        monkeypatch.setattr(statements, "proof_counts", fail)
    else:
        real = statements.refresh

        def failing(**kw: Any) -> Any:
            if kw.get("src"):  # the picked posts' statement, not a next page's
                raise Broken("picking failed")
            return real(**kw)

        monkeypatch.setattr(statements, "refresh", failing)
    for _ in range(3):
        with pytest.raises(Broken):
            async with client.ctx.db.read() as conn:
                await gather(conn, viewer, now, w, db=client.ctx.db)
    monkeypatch.undo()
    for _ in range(5):  # every connection the failures touched serves again
        async with client.ctx.db.read() as conn:
            assert await gather(conn, viewer, now, w, db=client.ctx.db) == expected


async def test_pages_beyond_the_pool_never_wait_for_a_second_connection(
        client: Client) -> None:
    """More pages at once than the pool holds (4): each holds its first connection while it
    asks for a second, so a second one that waited in line would wait forever."""
    viewer, _ = await _network(client)
    now, w = client.ctx.clock.now(), current()
    async with client.ctx.db.read() as conn:
        expected = await gather(conn, viewer, now, w)

    async def page() -> list[Any]:
        async with client.ctx.db.read() as conn:
            await asyncio.sleep(0)  # every page holds its connection before asking for more
            return await gather(conn, viewer, now, w, db=client.ctx.db)

    async with asyncio.timeout(30):
        pages = await asyncio.gather(*(page() for _ in range(24)))
    assert all(p == expected for p in pages)

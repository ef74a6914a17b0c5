"""A detected campaign counts once in rankings: its members' likes, reposts and social proof
add one, not one each (the trends side is tested in test_api.py)."""

from __future__ import annotations

from sqlalchemy import insert

from tests.helpers import Client
from townsquare.actions.interactions import favourite, reblog
from townsquare.actions.relationships import follow
from townsquare.algorithm.candidates import gather
from townsquare.algorithm.weights import current
from townsquare.store.tables_integrity import integrity_campaign_members, integrity_campaigns


async def mark_campaign(client: Client, members: list[int]) -> None:
    """Stand in for the detection job's result (what run_detection stores)."""
    ctx = client.ctx
    now = ctx.clock.now()
    campaign_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        await tx.execute(insert(integrity_campaigns).values(
            id=campaign_id, size=len(members), score=1.0, kinds={"like": 3}, evidence={},
            active=True, window_start=now, window_end=now, detected_at=now))
        await tx.execute(insert(integrity_campaign_members), [
            {"campaign_id": campaign_id, "account_id": m} for m in members])


async def test_campaign_engagement_counts_once(client: Client) -> None:
    viewer = await client.user("viewer")
    author = await client.user("author")
    ring = [await client.user(f"ring{i}") for i in range(4)]
    friend = await client.user("friend")
    post = await client.post_status(author, "boost me")
    for member in ring:
        await follow(client.ctx, viewer.id, member.id)
        await favourite(client.ctx, member.id, int(post["id"]))
        await reblog(client.ctx, member.id, int(post["id"]))
    await follow(client.ctx, viewer.id, friend.id)
    await favourite(client.ctx, friend.id, int(post["id"]))

    async def candidate() -> tuple[int, int, int]:
        async with client.ctx.db.read() as conn:
            found = await gather(conn, viewer.id, client.ctx.clock.now(), current())
        c = next(c for c in found if c.status_id == int(post["id"]))
        return c.likes, c.reblogs, c.social_proof

    assert await candidate() == (5, 4, 5)
    await mark_campaign(client, [m.id for m in ring])
    assert await candidate() == (2, 1, 2)  # the ring is one voice, beside the friend

"""Every listing costs a fixed number of database queries, whatever the page size.

The world repeats a block of five kinds of entry (repost of a quote, quote, poll, media,
mentions), so every page of 5, 20 or 40 holds all kinds and the count must not move.
"""

from __future__ import annotations

from typing import Any

from tests.api.readpath_helpers import attach_media
from tests.helpers import Client, User
from townsquare.actions import interactions, relationships
from townsquare.actions.statuses import NewPoll, NewStatus, create_status
from townsquare.queries.status_pages import reset_caches

BLOCKS = 8  # 8 blocks x 5 entries = 40 home entries
# Token lookup + page query + status hydration (9) + what other domains add to hydration
# (labels, filters): far below the 40+ an N+1 would cost on a page of 40.
BOUND = 20


async def _world(client: Client) -> dict[str, User]:
    """Built through the action functions (cheaper than a hydrated HTTP response each)."""
    ctx = client.ctx
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    dave = await client.user("dave")

    async def post(who: User, text: str, **kw: Any) -> int:
        return await create_status(ctx, who.id, NewStatus(text=text, visibility=kw.pop(
            "visibility", "public"), **kw))

    await relationships.follow(ctx, alice.id, bob.id)
    await relationships.follow(ctx, alice.id, carol.id)
    for i in range(BLOCKS):
        quoted = await post(dave, f"#q quoted {i}")
        # Favourited: a post nothing quotes (unlisted: out of public and tag timelines), so
        # that a notifications page never holds the quoted post it must fetch a level down.
        liked = await post(dave, f"liked {i}", visibility="unlisted")
        await interactions.favourite(ctx, alice.id, liked)
        await post(bob, f"#q hi @carol @dave {i}")
        pic = await post(bob, f"#q picture {i}")
        await attach_media(client, bob, str(pic))
        await post(carol, f"#q poll {i}", poll=NewPoll(["a", "b"], 3600))
        quote = await post(bob, f"#q quoting {i}", quote_id=quoted)
        await interactions.reblog(ctx, carol.id, quote)
    return {"alice": alice, "carol": carol, "dave": dave}


async def _count(client: Client, path: str, user: User | None,
                 limit: int, *, cold: bool = True) -> tuple[int, int]:
    if cold:  # what a page costs before this process has cached any of it
        reset_caches(client.ctx)
    with client.ctx.db.counting() as n:
        r = await client.get(path, as_=user, params={"limit": limit})
    assert r.status_code == 200, r.text
    return n[0], len(r.json())


async def test_listings_cost_a_fixed_number_of_queries(client: Client) -> None:
    w = await _world(client)
    alice, carol, dave = w["alice"], w["carol"], w["dave"]
    cases: list[tuple[str, User | None, int]] = [
        ("/api/v1/timelines/home", alice, 40),
        ("/api/v1/timelines/public", alice, 40),
        ("/api/v1/timelines/public", None, 40),
        ("/api/v1/timelines/tag/q", alice, 40),
        (f"/api/v1/accounts/{carol.id}/statuses", alice, 16),
        ("/api/v1/notifications", dave, 24),
        ("/api/v1/favourites", alice, 8),
    ]
    for path, user, available in cases:
        counts = {}
        await _count(client, path, user, 1)  # once-per-session work (last-active) happens here
        for limit in (5, 20, 40):
            queries, size = await _count(client, path, user, limit)
            assert size == min(limit, available), (path, limit, size)
            counts[limit] = queries
            again, _ = await _count(client, path, user, limit, cold=False)
            assert again <= queries, (path, limit, again, queries)  # caches only save
        assert len(set(counts.values())) == 1, (path, counts)
        assert counts[5] <= BOUND, (path, counts)

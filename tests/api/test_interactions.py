"""Favourite, reblog, bookmark, pin: each act and its undo, exact idempotent counters,
notifications, visibility (404 for what you cannot see), and who-did-it lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers import Client, User, row_counts
from townsquare.actions import relationships
from townsquare.store.tables import accounts, notifications


async def notices(client: Client, to: User) -> list[tuple[str, int, int | None]]:
    """(type, from, status) of the notifications `to` has, oldest first."""
    async with client.ctx.db.read() as conn:
        rows = (await conn.execute(
            select(notifications.c.type, notifications.c.from_account_id,
                   notifications.c.status_id)
            .where(notifications.c.account_id == to.id).order_by(notifications.c.id))).all()
    return [(r.type, r.from_account_id, r.status_id) for r in rows]


async def statuses_count(client: Client, user: User) -> int:
    async with client.ctx.db.read() as conn:
        return int((await conn.execute(select(accounts.c.statuses_count)
                                       .where(accounts.c.id == user.id))).scalar_one())


async def users(client: Client, *names: str) -> list[User]:
    return [await client.user(n) for n in names]


async def act(client: Client, user: User, status: dict[str, Any], verb: str,
              **kw: Any) -> dict[str, Any]:
    r = await client.post(f"/api/v1/statuses/{status['id']}/{verb}", as_=user, **kw)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_favourite_is_idempotent_counts_and_notifies(client: Client) -> None:
    alice, bob, carol = await users(client, "alice", "bob", "carol")
    post = await client.post_status(alice, "like me")
    first = await act(client, bob, post, "favourite")
    assert first["favourited"] is True and first["favourites_count"] == 1
    again = await act(client, bob, post, "favourite")
    assert again["favourites_count"] == 1
    assert (await act(client, carol, post, "favourite"))["favourites_count"] == 2
    assert await notices(client, alice) == [("favourite", bob.id, int(post["id"])),
                                            ("favourite", carol.id, int(post["id"]))]
    # Liking your own post counts but does not notify you.
    assert (await act(client, alice, post, "favourite"))["favourites_count"] == 3
    assert len(await notices(client, alice)) == 2

    r = await client.get(f"/api/v1/statuses/{post['id']}/favourited_by")
    assert [a["username"] for a in r.json()] == ["alice", "carol", "bob"]

    undone = await act(client, bob, post, "unfavourite")
    assert undone["favourited"] is False and undone["favourites_count"] == 2
    assert (await act(client, bob, post, "unfavourite"))["favourites_count"] == 2
    assert [n[1] for n in await notices(client, alice)] == [carol.id]
    seen = await client.get(f"/api/v1/statuses/{post['id']}", as_=carol)
    assert seen.json()["favourited"] is True


async def test_reblog_rules_counters_and_delivery(client: Client) -> None:
    alice, bob, carol = await users(client, "alice", "bob", "carol")
    await relationships.follow(client.ctx, carol.id, bob.id)
    post = await client.post_status(alice, "boost me")
    before = await statuses_count(client, bob)
    wrapper = await act(client, bob, post, "reblog")
    assert wrapper["reblog"]["id"] == post["id"]
    assert wrapper["reblog"]["reblogs_count"] == 1 and wrapper["reblog"]["reblogged"] is True
    # Twice returns the same repost and counts once.
    assert (await act(client, bob, post, "reblog"))["id"] == wrapper["id"]
    # Reposting the repost reposts the post.
    assert (await act(client, carol, wrapper, "reblog"))["reblog"]["reblogs_count"] == 2
    assert await statuses_count(client, bob) == before + 1
    assert ("reblog", bob.id, int(post["id"])) in await notices(client, alice)
    home = await client.get("/api/v1/timelines/home", as_=carol)
    assert wrapper["id"] in [s["id"] for s in home.json()]
    r = await client.get(f"/api/v1/statuses/{post['id']}/reblogged_by", as_=alice)
    assert [a["username"] for a in r.json()] == ["carol", "bob"]

    back = await act(client, bob, post, "unreblog")
    assert back["id"] == post["id"] and back["reblogged"] is False
    assert back["reblogs_count"] == 1
    assert await statuses_count(client, bob) == before
    assert ("reblog", bob.id, int(post["id"])) not in await notices(client, alice)
    assert (await client.get(f"/api/v1/statuses/{wrapper['id']}")).status_code == 404
    home = await client.get("/api/v1/timelines/home", as_=carol)
    assert wrapper["id"] not in [s["id"] for s in home.json()]
    # Unreblogging again changes nothing.
    assert (await act(client, bob, post, "unreblog"))["reblogs_count"] == 1


async def test_private_posts_cannot_be_reblogged_except_by_their_author(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    await relationships.follow(client.ctx, bob.id, alice.id)
    private = await client.post_status(alice, "followers only", visibility="private")
    before = await row_counts(client.ctx)
    r = await client.post(f"/api/v1/statuses/{private['id']}/reblog", as_=bob)
    assert r.status_code == 422 and "cannot be reposted" in r.json()["error"]
    bad = await client.post(f"/api/v1/statuses/{private['id']}/reblog", as_=alice,
                            json={"visibility": "direct"})
    assert bad.status_code == 422
    assert await row_counts(client.ctx) == before
    own = await act(client, alice, private, "reblog", json={"visibility": "public"})
    assert own["visibility"] == "private"  # stays followers-only whatever was asked
    # Her own followers-only repost is not listed publicly.
    r = await client.get(f"/api/v1/statuses/{private['id']}/reblogged_by", as_=alice)
    assert r.json() == []


async def test_acting_on_an_invisible_post_is_404_and_changes_nothing(client: Client) -> None:
    alice, mallory = await client.user("alice"), await client.user("mallory")
    private = await client.post_status(alice, "secret", visibility="private")
    direct = await client.post_status(alice, "dm nobody", visibility="direct")
    before = await row_counts(client.ctx)
    for post in (private, direct):
        for verb in ("favourite", "reblog", "bookmark", "pin", "unfavourite", "unreblog"):
            r = await client.post(f"/api/v1/statuses/{post['id']}/{verb}", as_=mallory)
            assert r.status_code == 404, (verb, r.text)
        for who in ("favourited_by", "reblogged_by"):
            r = await client.get(f"/api/v1/statuses/{post['id']}/{who}", as_=mallory)
            assert r.status_code == 404
    assert (await client.post("/api/v1/statuses/999/favourite", as_=mallory)).status_code == 404
    assert (await client.post(f"/api/v1/statuses/{private['id']}/favourite")).status_code == 401
    assert await row_counts(client.ctx) == before


async def test_blocks_hide_and_refuse(client: Client) -> None:
    alice, bob, carol = await users(client, "alice", "bob", "carol")
    post = await client.post_status(alice, "hello")
    await act(client, bob, post, "favourite")
    await act(client, carol, post, "favourite")
    await relationships.block(client.ctx, carol.id, bob.id)
    r = await client.get(f"/api/v1/statuses/{post['id']}/favourited_by", as_=carol)
    assert [a["username"] for a in r.json()] == ["carol"]
    await relationships.block(client.ctx, alice.id, bob.id)
    r = await client.post(f"/api/v1/statuses/{post['id']}/reblog", as_=bob)
    assert r.status_code == 404


async def test_bookmark_and_pin(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    post = await client.post_status(alice, "keep")
    assert (await act(client, bob, post, "bookmark"))["bookmarked"] is True
    assert (await act(client, bob, post, "bookmark"))["bookmarked"] is True
    assert (await act(client, bob, post, "unbookmark"))["bookmarked"] is False

    r = await client.post(f"/api/v1/statuses/{post['id']}/pin", as_=bob)
    assert r.status_code == 422  # not bob's post
    posts = [await client.post_status(alice, f"p{i}") for i in range(6)]
    for p in posts[:5]:
        assert (await act(client, alice, p, "pin"))["pinned"] is True
    assert (await act(client, alice, posts[0], "pin"))["pinned"] is True  # idempotent
    before = await row_counts(client.ctx)
    r = await client.post(f"/api/v1/statuses/{posts[5]['id']}/pin", as_=alice)
    assert r.status_code == 422 and "5" in r.json()["error"]
    dm = await client.post_status(alice, "dm", visibility="direct")
    assert (await client.post(f"/api/v1/statuses/{dm['id']}/pin", as_=alice)).status_code == 422
    after = await row_counts(client.ctx)
    assert after["pins"] == before["pins"] == 5
    assert (await act(client, alice, posts[0], "unpin"))["pinned"] is False
    assert (await act(client, alice, posts[5], "pin"))["pinned"] is True


async def test_scopes_and_conversation_mute(client: Client) -> None:
    alice = await client.user("alice")
    post = await client.post_status(alice, "hi")
    reader = await client.token(alice, ["read"])
    r = await client.post(f"/api/v1/statuses/{post['id']}/favourite", as_=reader)
    assert r.status_code == 403
    assert (await act(client, alice, post, "mute"))["muted"] is True
    assert (await act(client, alice, post, "unmute"))["muted"] is False


async def test_concurrent_acts_count_once(client: Client) -> None:
    import asyncio

    alice, bob = await users(client, "alice", "bob")
    post = await client.post_status(alice, "race")
    url = f"/api/v1/statuses/{post['id']}"
    results = await asyncio.gather(*[client.post(f"{url}/favourite", as_=bob) for _ in range(5)],
                                   *[client.post(f"{url}/reblog", as_=bob) for _ in range(5)])
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    assert len({r.json()["id"] for r in results[5:]}) == 1  # one repost
    final = (await client.get(url, as_=bob)).json()
    assert final["favourites_count"] == 1 and final["reblogs_count"] == 1
    assert [n[0] for n in await notices(client, alice)] == ["favourite", "reblog"]

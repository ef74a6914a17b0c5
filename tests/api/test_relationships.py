"""Follows, follow requests, blocks and mutes: exact counters, the Relationship entity, lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers import Client, User, row_counts
from townsquare.store.tables import notifications


async def account(client: Client, user: User) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/accounts/{user.id}")).json()
    return body


async def counts(client: Client, user: User) -> tuple[int, int]:
    a = await account(client, user)
    return a["followers_count"], a["following_count"]


async def rel(client: Client, viewer: User, target: User) -> dict[str, Any]:
    r = await client.get("/api/v1/accounts/relationships", as_=viewer,
                         params={"id[]": [str(target.id)]})
    assert r.status_code == 200, r.text
    [body] = r.json()
    return dict(body)


async def notification_types(client: Client, user: User) -> list[str]:
    async with client.ctx.db.read() as conn:
        return [t for (t,) in (await conn.execute(
            select(notifications.c.type).where(notifications.c.account_id == user.id)
            .order_by(notifications.c.id))).all()]


async def test_follow_unfollow_counters_exact(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    post = await client.post_status(bob, "before the follow")
    r = await client.post(f"/api/v1/accounts/{bob.id}/follow", as_=alice)
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == str(bob.id) and body["following"] is True
    assert body["showing_reblogs"] is True and body["requested"] is False
    again = await client.post(f"/api/v1/accounts/{bob.id}/follow/", as_=alice,
                              json={"reblogs": False, "notify": True})
    assert again.json()["showing_reblogs"] is False and again.json()["notifying"] is True
    assert await counts(client, bob) == (1, 0)
    assert await counts(client, alice) == (0, 1)
    assert await notification_types(client, bob) == ["follow"]
    home = (await client.get("/api/v1/timelines/home", as_=alice)).json()
    assert post["id"] in [s["id"] for s in home]  # backfilled
    assert (await rel(client, bob, alice))["followed_by"] is True

    r = await client.post(f"/api/v1/accounts/{bob.id}/unfollow", as_=alice)
    assert r.status_code == 200 and r.json()["following"] is False
    await client.post(f"/api/v1/accounts/{bob.id}/unfollow", as_=alice)
    assert await counts(client, bob) == (0, 0)
    assert await counts(client, alice) == (0, 0)
    home = (await client.get("/api/v1/timelines/home", as_=alice)).json()
    assert post["id"] not in [s["id"] for s in home]


async def test_follow_refusals_change_nothing(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    reader = await client.token(alice, ["read"])
    before = await row_counts(client.ctx)
    self_follow = await client.post(f"/api/v1/accounts/{alice.id}/follow", as_=alice)
    assert self_follow.status_code == 422
    missing = await client.post("/api/v1/accounts/424242/follow", as_=alice)
    assert missing.status_code == 404
    assert (await client.post(f"/api/v1/accounts/{bob.id}/follow",
                              as_=reader)).status_code == 403
    assert (await client.post(f"/api/v1/accounts/{bob.id}/follow")).status_code == 401
    assert await row_counts(client.ctx) == before
    await client.post(f"/api/v1/accounts/{alice.id}/block", as_=bob)
    blocked = await client.post(f"/api/v1/accounts/{bob.id}/follow", as_=alice)
    assert blocked.status_code == 403 and "block" in blocked.json()["error"]
    assert await counts(client, bob) == (0, 0)


async def test_locked_account_request_authorize_reject(client: Client) -> None:
    alice = await client.user("alice", locked=True)
    bob, carol = await client.user("bob"), await client.user("carol")
    r = await client.post(f"/api/v1/accounts/{alice.id}/follow", as_=bob)
    assert r.json()["requested"] is True and r.json()["following"] is False
    await client.post(f"/api/v1/accounts/{alice.id}/follow", as_=carol)
    assert await counts(client, alice) == (0, 0)
    assert await notification_types(client, alice) == ["follow_request", "follow_request"]
    assert (await rel(client, alice, bob))["requested_by"] is True
    me = (await client.get("/api/v1/accounts/verify_credentials", as_=alice)).json()
    assert me["source"]["follow_requests_count"] == 2

    listed = await client.get("/api/v1/follow_requests", as_=alice)
    assert [a["username"] for a in listed.json()] == ["carol", "bob"]

    ok = await client.post(f"/api/v1/follow_requests/{bob.id}/authorize", as_=alice)
    assert ok.status_code == 200 and ok.json()["followed_by"] is True
    assert (await rel(client, bob, alice))["following"] is True
    no = await client.post(f"/api/v1/follow_requests/{carol.id}/reject/", as_=alice)
    assert no.status_code == 200 and no.json()["requested_by"] is False
    assert (await rel(client, carol, alice))["requested"] is False
    assert await counts(client, alice) == (1, 0)
    assert await counts(client, bob) == (0, 1)
    assert (await client.get("/api/v1/follow_requests", as_=alice)).json() == []
    again = await client.post(f"/api/v1/follow_requests/{carol.id}/authorize", as_=alice)
    assert again.status_code == 404

    # unfollow withdraws a pending request
    dave = await client.user("dave")
    await client.post(f"/api/v1/accounts/{alice.id}/follow", as_=dave)
    await client.post(f"/api/v1/accounts/{alice.id}/unfollow", as_=dave)
    assert (await rel(client, dave, alice))["requested"] is False


async def test_block_removes_follows_both_ways(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    await client.follow(alice, bob)
    await client.follow(bob, alice)
    await client.follow(carol, alice)
    r = await client.post(f"/api/v1/accounts/{bob.id}/block", as_=alice)
    assert r.status_code == 200
    body = r.json()
    assert body["blocking"] is True and body["following"] is False
    assert body["followed_by"] is False
    assert (await rel(client, bob, alice))["blocked_by"] is True
    assert await counts(client, alice) == (1, 0)
    assert await counts(client, bob) == (0, 0)

    # carol's lists hide accounts blocked either way from the viewer
    await client.follow(bob, carol)
    await client.follow(alice, carol)
    seen_by_alice = await client.get(f"/api/v1/accounts/{carol.id}/followers", as_=alice)
    assert [a["username"] for a in seen_by_alice.json()] == ["alice"]
    seen_by_bob = await client.get(f"/api/v1/accounts/{carol.id}/followers", as_=bob)
    assert [a["username"] for a in seen_by_bob.json()] == ["bob"]
    anonymous = await client.get(f"/api/v1/accounts/{carol.id}/followers")
    assert [a["username"] for a in anonymous.json()] == ["alice", "bob"]
    assert (await client.get(f"/api/v1/accounts/{alice.id}/following", as_=bob)).json() == []

    blocks = await client.get("/api/v1/blocks", as_=alice)
    assert [a["username"] for a in blocks.json()] == ["bob"]
    r = await client.post(f"/api/v1/accounts/{bob.id}/unblock", as_=alice)
    assert r.json()["blocking"] is False
    assert (await client.get("/api/v1/blocks", as_=alice)).json() == []


async def test_remove_from_followers(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    await client.follow(bob, alice)
    r = await client.post(f"/api/v1/accounts/{bob.id}/remove_from_followers", as_=alice)
    assert r.status_code == 200 and r.json()["followed_by"] is False
    assert await counts(client, alice) == (0, 0)
    assert await counts(client, bob) == (0, 0)


async def test_mute_with_expiry(client: Client, clock: Any) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    r = await client.post(f"/api/v1/accounts/{bob.id}/mute", as_=alice,
                          json={"notifications": False, "duration": 3600})
    assert r.status_code == 200
    assert r.json()["muting"] is True and r.json()["muting_notifications"] is False
    assert [a["username"] for a in (await client.get("/api/v1/mutes", as_=alice)).json()] \
        == ["bob"]
    clock.advance(3601)
    assert (await rel(client, alice, bob))["muting"] is False
    assert (await client.get("/api/v1/mutes", as_=alice)).json() == []

    r = await client.post(f"/api/v1/accounts/{bob.id}/mute", as_=alice)
    assert r.json()["muting"] is True and r.json()["muting_notifications"] is True
    clock.advance(10 * 365 * 24 * 3600)
    assert (await rel(client, alice, bob))["muting"] is True
    r = await client.post(f"/api/v1/accounts/{bob.id}/unmute", as_=alice)
    assert r.json()["muting"] is False
    bad = await client.post(f"/api/v1/accounts/{bob.id}/mute", as_=alice,
                            json={"duration": -5})
    assert bad.status_code == 422


async def test_relationships_batch_and_lists_paginate(client: Client) -> None:
    alice = await client.user("alice")
    others = [await client.user(f"user{i}") for i in range(5)]
    for other in others:
        await client.follow(other, alice)
    ids = [str(o.id) for o in others] + ["999999", "junk"]
    with client.ctx.db.counting() as one:
        await client.get("/api/v1/accounts/relationships", as_=alice,
                         params={"id[]": ids[:1]})
    with client.ctx.db.counting() as n:
        r = await client.get("/api/v1/accounts/relationships", as_=alice,
                             params={"id[]": ids})
    assert r.status_code == 200
    assert [x["id"] for x in r.json()] == [str(o.id) for o in others]
    assert all(x["followed_by"] and not x["following"] for x in r.json())
    assert n[0] == one[0]  # one query for any number of ids

    page = await client.get(f"/api/v1/accounts/{alice.id}/followers", params={"limit": 2})
    assert [a["username"] for a in page.json()] == ["user4", "user3"]
    assert 'rel="next"' in page.headers["link"]
    next_url = page.headers["link"].split(";")[0].strip("<>")
    page2 = await client.get(next_url)
    assert [a["username"] for a in page2.json()] == ["user2", "user1"]
    following = await client.get(f"/api/v1/accounts/{others[0].id}/following")
    assert [a["username"] for a in following.json()] == ["alice"]
    assert (await client.get("/api/v1/accounts/relationships")).status_code == 401

"""Notifications: listing with filters and pagination, one, dismiss, clear, unread count,
and what is hidden (blocks, notification mutes, posts no longer visible)."""

from __future__ import annotations

from tests.api.readpath_helpers import block, favourite, follow, mute, next_link, reblog
from tests.helpers import Client, row_counts


async def test_list_filter_and_paginate(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    post = await client.post_status(alice, "hello")
    await client.post_status(bob, "hi @alice")
    await favourite(client, bob, post["id"])
    await reblog(client, carol, post["id"])
    await follow(client, carol, alice)
    r = await client.get("/api/v1/notifications", as_=alice)
    assert r.status_code == 200
    body = r.json()
    assert [n["type"] for n in body] == ["follow", "reblog", "favourite", "mention"]
    assert body[0]["group_key"] == f"ungrouped-{body[0]['id']}"
    assert body[0]["status"] is None and body[0]["account"]["username"] == "carol"
    assert body[1]["status"]["id"] == post["id"]
    assert body[3]["status"]["content"].startswith("<p>hi")
    r = await client.get("/api/v1/notifications", as_=alice,
                         params={"types[]": ["mention", "favourite"]})
    assert [n["type"] for n in r.json()] == ["favourite", "mention"]
    r = await client.get("/api/v1/notifications", as_=alice,
                         params={"exclude_types[]": ["follow", "reblog"]})
    assert [n["type"] for n in r.json()] == ["favourite", "mention"]
    r = await client.get("/api/v1/notifications", as_=alice, params={"account_id": carol.id})
    assert [n["type"] for n in r.json()] == ["follow", "reblog"]
    assert (await client.get("/api/v1/notifications", as_=alice,
                             params={"account_id": "nope"})).json() == []
    # Pagination: limit=3 then follow next.
    r = await client.get("/api/v1/notifications", as_=alice, params={"limit": 3})
    first = [n["id"] for n in r.json()]
    url = next_link(r)
    assert url is not None
    rest = [n["id"] for n in (await client.get(url, as_=alice)).json()]
    assert first + rest == [n["id"] for n in body]
    # Bob sees none of alice's notifications.
    assert (await client.get("/api/v1/notifications", as_=bob)).json() == []
    assert (await client.get("/api/v1/notifications")).status_code == 401


async def test_one_dismiss_clear(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.post_status(bob, "@alice one")
    await client.post_status(bob, "@alice two")
    listed = (await client.get("/api/v1/notifications", as_=alice)).json()
    nid = listed[0]["id"]
    r = await client.get(f"/api/v1/notifications/{nid}", as_=alice)
    assert r.status_code == 200 and r.json()["id"] == nid
    # Someone else's notification is not found, and dismissing it changes nothing.
    assert (await client.get(f"/api/v1/notifications/{nid}", as_=bob)).status_code == 404
    before = await row_counts(client.ctx)
    assert (await client.post(f"/api/v1/notifications/{nid}/dismiss", as_=bob)).status_code \
        == 404
    assert (await client.post("/api/v1/notifications/abc/dismiss", as_=alice)).status_code \
        == 404
    assert await row_counts(client.ctx) == before
    r = await client.post(f"/api/v1/notifications/{nid}/dismiss", as_=alice)
    assert r.status_code == 200 and r.json() == {}
    assert [n["id"] for n in (await client.get("/api/v1/notifications", as_=alice)).json()] \
        == [listed[1]["id"]]
    assert (await client.get(f"/api/v1/notifications/{nid}", as_=alice)).status_code == 404
    assert (await client.post("/api/v1/notifications/clear", as_=alice)).json() == {}
    assert (await client.get("/api/v1/notifications", as_=alice)).json() == []
    reader = await client.token(alice, ["read"])
    assert (await client.post("/api/v1/notifications/clear", as_=reader)).status_code == 403


async def test_unread_count_follows_the_marker(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    for i in range(3):
        await client.post_status(bob, f"@alice {i}")
    r = await client.get("/api/v1/notifications/unread_count", as_=alice)
    assert r.status_code == 200 and r.json() == {"count": 3}
    listed = (await client.get("/api/v1/notifications", as_=alice)).json()
    r = await client.post("/api/v1/markers", as_=alice,
                          json={"notifications": {"last_read_id": listed[1]["id"]}})
    assert r.status_code == 200
    assert (await client.get("/api/v1/notifications/unread_count", as_=alice)).json() == \
        {"count": 1}
    assert (await client.get("/api/v1/notifications/unread_count", as_=alice,
                             params={"exclude_types[]": "mention"})).json() == {"count": 0}
    await client.post("/api/v1/markers", as_=alice, data={"notifications[last_read_id]": "0"})
    assert (await client.get("/api/v1/notifications/unread_count", as_=alice,
                             params={"limit": 2})).json() == {"count": 2}


async def test_blocked_muted_and_invisible_are_hidden(client: Client) -> None:
    alice = await client.user("alice")
    blocked = await client.user("blocked")
    muted = await client.user("muted")
    quiet = await client.user("quiet")  # muted, but notifications kept
    expired = await client.user("expired")
    friend = await client.user("friend")
    for who in (blocked, muted, quiet, expired):
        await client.post_status(who, f"@alice from {who.username}")
    await follow(client, alice, friend)
    private = await client.post_status(friend, "@alice followers only", visibility="private")
    await block(client, alice, blocked)
    await mute(client, alice, muted)
    await mute(client, alice, quiet, notifications=False)
    await mute(client, alice, expired, expires_in=60)
    client.ctx.clock.advance(120)  # type: ignore[attr-defined]
    body = (await client.get("/api/v1/notifications", as_=alice)).json()
    assert [n["account"]["username"] for n in body] == ["friend", "expired", "quiet"]
    assert body[0]["status"]["id"] == private["id"]
    # Mentioned, alice still sees the private post after unfollowing: it stays.
    r = await client.post(f"/api/v1/accounts/{friend.id}/unfollow", as_=alice)
    assert r.status_code == 200
    body = (await client.get("/api/v1/notifications", as_=alice)).json()
    assert [n["account"]["username"] for n in body] == ["friend", "expired", "quiet"]
    assert (await client.get("/api/v1/notifications/unread_count", as_=alice)).json() == \
        {"count": 3}

"""Bookmarks and favourites lists: newest mark first, paginated by the mark's id."""

from __future__ import annotations

from tests.api.readpath_helpers import block, bookmark, favourite, follow, ids, next_link
from tests.helpers import Client


async def test_lists_are_ordered_by_mark_and_paginate(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    posts = [(await client.post_status(bob, f"post {i}"))["id"] for i in range(4)]
    # Marked in another order than posted: the list follows the marks.
    order = [posts[2], posts[0], posts[3], posts[1]]
    mark_ids = {}
    for sid in order:
        mark_ids[sid] = await bookmark(client, alice, sid)
        await favourite(client, alice, sid)
    for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
        r = await client.get(path, as_=alice, params={"limit": 3})
        assert r.status_code == 200
        assert ids(r.json()) == list(reversed(order))[:3]
        url = next_link(r)
        assert url is not None
        if path == "/api/v1/bookmarks":
            assert f"max_id={mark_ids[order[1]]}" in url  # the mark's id, not the post's
        r2 = await client.get(url, as_=alice)
        assert ids(r2.json()) == [order[0]]
        assert next_link(r2) is None
        flag = "bookmarked" if path == "/api/v1/bookmarks" else "favourited"
        assert all(s[flag] is True for s in r.json())
        assert (await client.get(path, as_=bob)).json() == []
        assert (await client.get(path)).status_code == 401


async def test_marks_hidden_once_no_longer_visible(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    await follow(client, alice, bob)
    private = await client.post_status(bob, "followers only", visibility="private")
    public = await client.post_status(carol, "public")
    await bookmark(client, alice, private["id"])
    await bookmark(client, alice, public["id"])
    assert ids((await client.get("/api/v1/bookmarks", as_=alice)).json()) == \
        [public["id"], private["id"]]
    r = await client.post(f"/api/v1/accounts/{bob.id}/unfollow", as_=alice)
    assert r.status_code == 200
    assert ids((await client.get("/api/v1/bookmarks", as_=alice)).json()) == [public["id"]]
    await block(client, carol, alice)
    assert (await client.get("/api/v1/bookmarks", as_=alice)).json() == []

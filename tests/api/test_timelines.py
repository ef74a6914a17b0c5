"""Timelines: public, tag, account statuses, and Mastodon pagination on home."""

from __future__ import annotations

from tests.api.readpath_helpers import (
    attach_media,
    block,
    follow,
    ids,
    mute,
    next_link,
    pin,
    prev_link,
    reblog,
)
from tests.helpers import Client


async def test_public_timeline_shows_public_posts_only(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    top = await client.post_status(alice, "public top")
    await client.post_status(alice, "unlisted", visibility="unlisted")
    await client.post_status(alice, "private", visibility="private")
    await client.post_status(alice, "direct @bob", visibility="direct")
    thread = await client.post_status(alice, "self reply", in_reply_to_id=top["id"])
    await client.post_status(bob, "reply to alice", in_reply_to_id=top["id"])
    await reblog(client, bob, top["id"])
    r = await client.get("/api/v1/timelines/public")
    assert r.status_code == 200
    assert ids(r.json()) == [thread["id"], top["id"]]
    # The same for a signed-in reader; remote=true is empty (no federation yet).
    assert ids((await client.get("/api/v1/timelines/public", as_=bob)).json()) == \
        [thread["id"], top["id"]]
    assert (await client.get("/api/v1/timelines/public", params={"remote": "true"})).json() \
        == []
    assert ids((await client.get("/api/v1/timelines/public",
                                 params={"local": "true"})).json()) == [thread["id"], top["id"]]


async def test_public_timeline_hides_blocked_and_muted_and_filters_media(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    dave = await client.user("dave")
    a = await client.post_status(alice, "from alice")
    b = await client.post_status(bob, "from bob")
    c = await client.post_status(carol, "from carol")
    await attach_media(client, carol, c["id"])
    await block(client, bob, dave)  # bob blocks dave: hidden from dave both ways
    await mute(client, dave, alice)
    r = await client.get("/api/v1/timelines/public", as_=dave)
    assert ids(r.json()) == [c["id"]]
    assert ids((await client.get("/api/v1/timelines/public")).json()) == [c["id"], b["id"],
                                                                          a["id"]]
    r = await client.get("/api/v1/timelines/public", params={"only_media": "true"})
    assert ids(r.json()) == [c["id"]]
    assert r.json()[0]["media_attachments"][0]["type"] == "image"


async def test_tag_timeline_any_all_none(client: Client) -> None:
    alice = await client.user("alice")
    cats = await client.post_status(alice, "#Cats only")
    both = await client.post_status(alice, "#cats and #dogs")
    dogs = await client.post_status(alice, "#dogs only")
    await client.post_status(alice, "#cats private", visibility="private")
    await client.post_status(alice, "#cats unlisted", visibility="unlisted")
    get = client.get
    assert ids((await get("/api/v1/timelines/tag/cats")).json()) == [both["id"], cats["id"]]
    assert ids((await get("/api/v1/timelines/tag/CATS")).json()) == [both["id"], cats["id"]]
    r = await get("/api/v1/timelines/tag/cats", params={"any[]": "dogs"})
    assert ids(r.json()) == [dogs["id"], both["id"], cats["id"]]
    r = await get("/api/v1/timelines/tag/cats", params={"all[]": "dogs"})
    assert ids(r.json()) == [both["id"]]
    r = await get("/api/v1/timelines/tag/cats", params={"none[]": "dogs"})
    assert ids(r.json()) == [cats["id"]]
    r = await get("/api/v1/timelines/tag/cats", params={"all[]": "unknown"})
    assert r.json() == []
    assert (await get("/api/v1/timelines/tag/nosuchtag")).json() == []


async def test_account_statuses_filters(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    bobs = await client.post_status(bob, "bob's post")
    top = await client.post_status(alice, "top #tagged")
    self_reply = await client.post_status(alice, "more", in_reply_to_id=top["id"])
    reply = await client.post_status(alice, "@bob yes", in_reply_to_id=bobs["id"])
    rb = await reblog(client, alice, bobs["id"])
    media_post = await client.post_status(alice, "picture")
    await attach_media(client, alice, media_post["id"])
    await pin(client, alice, top["id"])
    path = f"/api/v1/accounts/{alice.id}/statuses"
    everything = [media_post["id"], rb, reply["id"], self_reply["id"], top["id"]]
    assert ids((await client.get(path)).json()) == everything
    r = await client.get(path, params={"exclude_replies": "true"})
    assert ids(r.json()) == [media_post["id"], rb, self_reply["id"], top["id"]]
    r = await client.get(path, params={"exclude_reblogs": "1"})
    assert ids(r.json()) == [media_post["id"], reply["id"], self_reply["id"], top["id"]]
    assert ids((await client.get(path, params={"only_media": "true"})).json()) == \
        [media_post["id"]]
    assert ids((await client.get(path, params={"pinned": "true"})).json()) == [top["id"]]
    assert ids((await client.get(path, params={"tagged": "Tagged"})).json()) == [top["id"]]
    assert (await client.get(path, as_=bob)).json()[1]["reblog"]["id"] == bobs["id"]
    assert (await client.get("/api/v1/accounts/999999/statuses")).status_code == 404
    assert (await client.get("/api/v1/accounts/nope/statuses")).status_code == 404


async def test_account_statuses_visibility_and_blocks(client: Client) -> None:
    alice = await client.user("alice")
    fan = await client.user("fan")
    stranger = await client.user("stranger")
    pub = await client.post_status(alice, "public")
    priv = await client.post_status(alice, "followers", visibility="private")
    dm = await client.post_status(alice, "@stranger psst", visibility="direct")
    await follow(client, fan, alice)
    path = f"/api/v1/accounts/{alice.id}/statuses"
    assert ids((await client.get(path)).json()) == [pub["id"]]
    assert ids((await client.get(path, as_=fan)).json()) == [priv["id"], pub["id"]]
    assert ids((await client.get(path, as_=stranger)).json()) == [dm["id"], pub["id"]]
    assert ids((await client.get(path, as_=alice)).json()) == [dm["id"], priv["id"], pub["id"]]
    await block(client, alice, stranger)
    assert (await client.get(path, as_=stranger)).json() == []
    await block(client, fan, alice)
    assert (await client.get(path, as_=fan)).json() == []


async def test_home_pagination_walks_every_post_once(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    await follow(client, alice, bob)
    posted = []
    for i in range(7):
        who = alice if i % 2 else bob
        posted.append((await client.post_status(who, f"post {i}"))["id"])
    newest_first = list(reversed(posted))
    seen: list[str] = []
    url: str | None = "/api/v1/timelines/home?limit=2"
    pages = 0
    while url:
        r = await client.get(url, as_=alice)
        assert r.status_code == 200
        body = ids(r.json())
        seen.extend(body)
        pages += 1
        url = next_link(r)
        if len(body) < 2:
            assert url is None  # next only on a full page
    assert seen == newest_first
    assert pages == 4
    # min_id: the page just after (older side excluded), oldest-adjacent first, newest first.
    r = await client.get("/api/v1/timelines/home", as_=alice,
                         params={"min_id": posted[1], "limit": 2})
    assert ids(r.json()) == [posted[3], posted[2]]
    # since_id: the newest page above the id.
    r = await client.get("/api/v1/timelines/home", as_=alice,
                         params={"since_id": posted[1], "limit": 2})
    assert ids(r.json()) == [posted[6], posted[5]]
    # prev links to newer items.
    r = await client.get("/api/v1/timelines/home", as_=alice,
                         params={"max_id": posted[3], "limit": 2})
    assert ids(r.json()) == [posted[2], posted[1]]
    prev = prev_link(r)
    assert prev is not None and f"min_id={posted[2]}" in prev
    r = await client.get(prev, as_=alice)
    assert ids(r.json()) == [posted[4], posted[3]]
    # limit is capped at 40, bad ids are a 422.
    r = await client.get("/api/v1/timelines/home", as_=alice, params={"max_id": "x"})
    assert r.status_code == 422


async def test_public_and_tag_pagination(client: Client) -> None:
    alice = await client.user("alice")
    posted = [(await client.post_status(alice, f"#walk {i}"))["id"] for i in range(5)]
    for path in ("/api/v1/timelines/public", "/api/v1/timelines/tag/walk",
                 f"/api/v1/accounts/{alice.id}/statuses"):
        seen: list[str] = []
        url: str | None = f"{path}?limit=2"
        while url:
            r = await client.get(url)
            seen.extend(ids(r.json()))
            url = next_link(r)
        assert seen == list(reversed(posted)), path
        r = await client.get(path, params={"min_id": posted[0], "limit": 2})
        assert ids(r.json()) == [posted[2], posted[1]]

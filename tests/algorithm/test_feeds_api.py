"""For you, custom feeds, lists, feedback and opt-outs through the API, on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.helpers import Client, User, row_counts
from townsquare.actions.interactions import favourite, reblog
from townsquare.actions.relationships import follow
from townsquare.algorithm.explain import explained_total
from townsquare.algorithm.replay import decode_log, replay
from townsquare.store.tables import served_feeds

FOR_YOU = "/api/v1/townsquare/feeds/for_you"


async def world(client: Client) -> dict[str, Any]:
    """viewer follows a, b, c; a and b like x's post; x and y are strangers."""
    names = ["viewer", "a", "b", "c", "x", "y"]
    u = {n: await client.user(n) for n in names}
    for n in ("a", "b", "c"):
        await follow(client.ctx, u["viewer"].id, u[n].id)
    posts = {}
    for n in ("a", "b", "c", "x", "y"):
        client.ctx.clock.advance(60)  # type: ignore[attr-defined]
        posts[n] = (await client.post_status(u[n], f"post by {n} #topic"))["id"]
    for n in ("a", "b"):
        await favourite(client.ctx, u[n].id, int(posts["x"]))
    await reblog(client.ctx, u["c"].id, int(posts["y"]))
    return {"u": u, "posts": posts}


def ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def test_for_you_ranks_explains_and_replays(client: Client) -> None:
    w = await world(client)
    viewer = w["u"]["viewer"]
    r = await client.get(FOR_YOU, as_=viewer)
    got = ids(r)
    p = w["posts"]
    assert set(got) == {p["a"], p["b"], p["c"], p["x"]}  # y: only one follow reposted it
    for i, s in enumerate(r.json(), 1):
        ex = s["townsquare"]["ranking"]
        assert ex["rank"] == i and ex["feed"] == "for_you"
        assert explained_total(ex) == ex["score"]
        assert {f["name"] for f in ex["features"]} >= {"engagement", "social_proof"}
    x = next(s for s in r.json() if s["id"] == p["x"])["townsquare"]["ranking"]
    assert x["source"] == "social_proof"
    assert [a["name"] for a in x["adjustments"]] == ["out_of_network"]
    assert next(f for f in x["features"] if f["name"] == "social_proof")["value"] > 0
    # the log replays to the identical order
    served_id = int(x["served_feed_id"])
    async with client.ctx.db.read() as conn:
        row = (await conn.execute(select(served_feeds).where(served_feeds.c.id == served_id))
               ).one()
    result = replay(decode_log(row.log))
    assert result.identical and result.served == [int(i) for i in got]
    # Mastodon's home stays chronological: newest first
    home = ids(await client.get("/api/v1/timelines/home", as_=viewer))
    assert home == sorted(home, key=int, reverse=True)
    assert home[1:] == [p["c"], p["b"], p["a"]]  # after c's repost of y
    assert all(s.get("townsquare") is None or "ranking" not in s["townsquare"]
               for s in (await client.get("/api/v1/timelines/home", as_=viewer)).json())


async def test_next_page_excludes_served_and_follows_cursor(client: Client) -> None:
    w = await world(client)
    viewer = w["u"]["viewer"]
    r = await client.get(FOR_YOU, as_=viewer, params={"limit": 2})
    first = ids(r)
    assert len(first) == 2 and 'rel="next"' in r.headers["link"]
    cursor = r.headers["link"].split("cursor=")[1].split(">")[0]
    second = ids(await client.get(FOR_YOU, as_=viewer, params={"limit": 2, "cursor": cursor}))
    assert len(second) == 2 and not set(first) & set(second)
    other = w["u"]["a"]
    r = await client.get(FOR_YOU, as_=other, params={"cursor": cursor})
    assert r.status_code == 404  # a cursor is its reader's own


async def test_show_less_and_more_change_the_next_page(client: Client) -> None:
    u = {n: await client.user(n) for n in ("viewer", "a", "b")}
    for n in ("a", "b"):
        await follow(client.ctx, u["viewer"].id, u[n].id)
    for _ in range(3):
        for n in ("a", "b"):
            client.ctx.clock.advance(60)  # type: ignore[attr-defined]
            await client.post_status(u[n], f"from {n}")
    first = (await client.get(FOR_YOU, as_=u["viewer"], params={"limit": 1})).json()[0]
    top_author = first["account"]["id"]
    r = await client.post(f"/api/v1/townsquare/statuses/{first['id']}/show_less", as_=u["viewer"])
    assert r.status_code == 200, r.text
    page = (await client.get(FOR_YOU, as_=u["viewer"], params={"limit": 3})).json()
    assert all(s["account"]["id"] != top_author for s in page)
    less = page[0]
    assert any(a["name"] == "fatigue" for s in (await client.get(
        FOR_YOU, as_=u["viewer"], params={"limit": 6})).json()
        for a in s["townsquare"]["ranking"]["adjustments"])
    # show more about the other author's post, then less is taken back: the first author
    # returns to the top of the page
    assert (await client.delete(f"/api/v1/townsquare/statuses/{first['id']}/feedback",
                                as_=u["viewer"])).status_code == 200
    r = await client.post(f"/api/v1/townsquare/statuses/{first['id']}/show_more",
                          as_=u["viewer"])
    assert r.status_code == 200
    page = (await client.get(FOR_YOU, as_=u["viewer"], params={"limit": 1})).json()
    assert page[0]["account"]["id"] == top_author != less["account"]["id"]
    aff = next(f for f in page[0]["townsquare"]["ranking"]["features"]
               if f["name"] == "affinity")
    assert aff["value"] > 0
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/townsquare/statuses/999999/show_less", as_=u["viewer"])
    assert r.status_code == 404 and await row_counts(client.ctx) == before


async def test_opted_out_post_never_reaches_non_followers(client: Client) -> None:
    w = await world(client)
    u, p = w["u"], w["posts"]
    viewer = u["viewer"]
    assert p["x"] in ids(await client.get(FOR_YOU, as_=viewer))
    # only the author may opt a post out
    r = await client.post(f"/api/v1/townsquare/statuses/{p['x']}/recommendation", as_=viewer,
                          json={"recommend": False})
    assert r.status_code == 403
    r = await client.post(f"/api/v1/townsquare/statuses/{p['x']}/recommendation",
                          as_=u["x"], json={"recommend": False})
    assert r.status_code == 200 and r.json() == {"recommend": False}
    assert p["x"] not in ids(await client.get(FOR_YOU, as_=viewer))
    # a custom feed with every source cannot bring it back either
    r = await client.post("/api/v1/townsquare/custom_feeds/preview", as_=viewer, json={
        "definition": {"sources": ["in_network", "social_proof", "community", "tags"],
                       "tags": ["topic"]}})
    got = ids(r)
    assert p["x"] not in got and p["y"] in got  # y came back through its tag
    # the whole account
    r = await client.put("/api/v1/townsquare/recommendation", as_=u["y"],
                         json={"recommend": False})
    assert r.status_code == 200
    r = await client.post("/api/v1/townsquare/custom_feeds/preview", as_=viewer, json={
        "definition": {"sources": ["tags"], "tags": ["topic"]}})
    got = ids(r)
    assert p["y"] not in got and p["x"] not in got and p["a"] in got
    # followers still see opted-out posts in ranked feeds
    await follow(client.ctx, viewer.id, u["x"].id)
    assert p["x"] in ids(await client.get(FOR_YOU, as_=viewer))


async def test_custom_feed_lifecycle_and_lists(client: Client) -> None:
    w = await world(client)
    u, p = w["u"], w["posts"]
    author, reader = u["a"], u["viewer"]
    before = await row_counts(client.ctx)
    for bad in ({"sources": ["nope"]}, {"sources": ["tags"]}, {"weights": {"likes": 2}},
                {"min_engagement": -1}, {"colour": "red"}, "not json"):
        r = await client.post("/api/v1/townsquare/custom_feeds", as_=author,
                              json={"title": "t", "definition": bad})
        assert r.status_code == 422, (bad, r.text)
    assert await row_counts(client.ctx) == before
    r = await client.post("/api/v1/townsquare/custom_feeds", as_=author, json={
        "title": "Topic", "published": True,
        "definition": {"sources": ["tags"], "tags": ["#Topic"], "min_engagement": 2,
                       "weights": {"recency": 3}}})
    assert r.status_code == 200, r.text
    feed = r.json()
    assert feed["definition"]["tags"] == ["topic"] and feed["url"].endswith(f"/feeds/{feed['id']}")
    fid = feed["id"]
    # anyone may read a published definition; only its author may change it
    assert (await client.get(f"/api/v1/townsquare/custom_feeds/{fid}")).status_code == 200
    r = await client.patch(f"/api/v1/townsquare/custom_feeds/{fid}", as_=reader,
                           json={"title": "mine"})
    assert r.status_code == 403
    # subscribe and pin; it shows as a Mastodon list and as a feed choice
    r = await client.post(f"/api/v1/townsquare/custom_feeds/{fid}/subscribe", as_=reader,
                          json={"pinned": True})
    assert r.status_code == 200 and r.json()["subscribed"] and r.json()["pinned"]
    lists = (await client.get("/api/v1/lists", as_=reader)).json()
    assert lists == [{"id": fid, "title": "Topic", "replies_policy": "list", "exclusive": False}]
    assert (await client.get(f"/api/v1/lists/{fid}", as_=reader)).json()["title"] == "Topic"
    timeline = await client.get(f"/api/v1/timelines/list/{fid}", as_=reader)
    assert ids(timeline) == [p["x"]]  # the only #topic post with 2+ engagements
    ex = timeline.json()[0]["townsquare"]["ranking"]
    assert ex["feed"] == f"custom:{fid}"
    assert next(f for f in ex["features"] if f["name"] == "recency")["weight"] == 3.0
    # choose it as the default feed, in one call
    r = await client.put("/api/v1/townsquare/feeds/default", as_=reader, json={"feed": fid})
    assert r.status_code == 200 and r.json()["default"] == fid
    assert ids(await client.get("/api/v1/townsquare/timeline", as_=reader)) == [p["x"]]
    r = await client.put("/api/v1/townsquare/feeds/default", as_=reader,
                         json={"feed": "for_you"})
    assert r.json()["default"] == "for_you"
    assert len(ids(await client.get("/api/v1/townsquare/timeline", as_=reader))) == 4
    r = await client.put("/api/v1/townsquare/feeds/default", as_=reader, json={"feed": "best"})
    assert r.status_code == 422
    # unpublished feeds are private to their author
    r = await client.patch(f"/api/v1/townsquare/custom_feeds/{fid}", as_=author,
                           json={"published": False})
    assert r.status_code == 200 and r.json()["published"] is False
    assert (await client.get(f"/api/v1/lists/{fid}", as_=reader)).status_code == 404
    assert (await client.get(f"/api/v1/townsquare/custom_feeds/{fid}",
                             as_=reader)).status_code == 404
    r = await client.delete(f"/api/v1/townsquare/custom_feeds/{fid}", as_=author)
    assert r.status_code == 200
    assert (await client.get("/api/v1/lists", as_=author)).json() == []


async def test_algorithm_is_published(client: Client) -> None:
    r = await client.get("/api/v1/townsquare/algorithm")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == body["weights"]["version"] >= 1
    assert {f["name"] for f in body["features"]} == set(body["weights"]["features"]) - {"params"}
    assert body["changelog"] and body["changelog"][-1]["version"] <= body["version"]
    assert (await client.get(FOR_YOU)).status_code == 401


async def test_served_pages_are_logged(client: Client) -> None:
    w = await world(client)
    await client.get(FOR_YOU, as_=w["u"]["viewer"])
    async with client.ctx.db.read() as conn:
        n = (await conn.execute(select(func.count()).select_from(served_feeds))).scalar_one()
    assert n == 1
    _: User = w["u"]["viewer"]

"""Each person's own filters: muted words (filters v2), labelers and per-label choices,
hiding a post, who may reply, detaching a quote."""

from __future__ import annotations

from tests.helpers import Client, row_counts
from tests.moderation.test_decisions import moderator


async def ids(client: Client, path: str, user: object) -> list[str]:
    r = await client.get(path, as_=user)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def test_muted_words_warn_hide_expire_and_spare_follows(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    spoiler = await client.post_status(bob, "The butler did it! #mystery")
    r = await client.post("/api/v2/filters", as_=alice, data={
        "title": "Spoilers", "context[]": ["home", "public"], "filter_action": "warn",
        "keywords_attributes[][keyword]": "butler",
        "keywords_attributes[][whole_word]": "true", "expires_in": "3600"})
    assert r.status_code == 200, r.text
    flt = r.json()
    assert flt["keywords"][0]["keyword"] == "butler" and flt["expires_at"] is not None
    seen = (await client.get(f"/api/v1/statuses/{spoiler['id']}", as_=alice)).json()
    assert seen["filtered"][0]["filter"]["title"] == "Spoilers"
    assert seen["filtered"][0]["keyword_matches"] == ["butler"]
    # hide: gone from the public timeline for alice, still there for carol
    r = await client.put(f"/api/v2/filters/{flt['id']}", as_=alice, json={"filter_action": "hide"})
    assert r.status_code == 200 and r.json()["filter_action"] == "hide"
    assert spoiler["id"] not in await ids(client, "/api/v1/timelines/public", alice)
    assert spoiler["id"] in await ids(client, "/api/v1/timelines/public", carol)
    # except people I follow
    await client.put(f"/api/v2/filters/{flt['id']}", as_=alice, json={"except_following": True})
    await client.follow(alice, bob)
    assert spoiler["id"] in await ids(client, "/api/v1/timelines/public", alice)
    # expiry
    await client.put(f"/api/v2/filters/{flt['id']}", as_=alice, json={"except_following": False})
    assert spoiler["id"] not in await ids(client, "/api/v1/timelines/public", alice)
    client.ctx.clock.advance(3601)  # type: ignore[attr-defined]
    assert spoiler["id"] in await ids(client, "/api/v1/timelines/public", alice)
    # others cannot see or change alice's filter
    assert (await client.get(f"/api/v2/filters/{flt['id']}", as_=carol)).status_code == 404
    assert (await client.delete(f"/api/v2/filters/{flt['id']}", as_=carol)).status_code == 404
    assert (await client.delete(f"/api/v2/filters/{flt['id']}", as_=alice)).status_code == 200
    assert (await client.get("/api/v2/filters", as_=alice)).json() == []


async def test_bad_filters_are_refused_and_change_nothing(client: Client) -> None:
    alice = await client.user("alice")
    before = await row_counts(client.ctx)
    for body in ({"title": "", "context": ["home"]}, {"title": "x", "context": ["moon"]},
                 {"title": "x", "context": ["home"], "filter_action": "burn"},
                 {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]}):
        r = await client.post("/api/v2/filters", as_=alice, json=body)
        assert r.status_code == 422, body
    assert await row_counts(client.ctx) == before


async def test_platform_labels_follow_each_persons_choice(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    mo = await moderator(client, "mo")
    post = await client.post_status(bob, "gory photo description")
    r = await client.post("/api/v1/townsquare/moderation/decisions", as_=mo, json={
        "kind": "label", "label": "graphic", "status_id": post["id"], "facts": "Gore.",
        "ground_type": "rule", "ground_reference": "4"})
    assert r.status_code == 200, r.text
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", as_=alice)).json()
    assert seen["townsquare"]["labels"][0]["value"] == "graphic"
    assert seen["filtered"][0]["filter"]["filter_action"] == "warn"  # the default for graphic
    r = await client.put("/api/v1/townsquare/label_preferences", as_=alice,
                         json={"labeler_id": "0", "value": "graphic", "setting": "hide"})
    assert r.status_code == 200, r.text
    assert post["id"] not in await ids(client, "/api/v1/timelines/public", alice)
    await client.put("/api/v1/townsquare/label_preferences", as_=alice,
                     json={"labeler_id": "0", "value": "graphic", "setting": "show"})
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", as_=alice)).json()
    assert seen["filtered"] == [] and seen["townsquare"]["labels"][0]["setting"] == "show"
    own = (await client.get(f"/api/v1/statuses/{post['id']}", as_=bob)).json()
    assert own["townsquare"]["labels"][0]["value"] == "graphic"  # the author sees the label


async def test_labelers_reach_only_subscribers(client: Client) -> None:
    alice = await client.user("alice")
    carol = await client.user("carol")
    checker = await client.user("factcheck")
    post = await client.post_status(carol, "the moon is made of cheese")
    r = await client.post("/api/v1/townsquare/labelers/labels", as_=checker,
                          json={"value": "dubious", "status_id": post["id"]})
    assert r.status_code == 422  # define before applying
    r = await client.post("/api/v1/townsquare/labelers/definitions", as_=checker, json={
        "value": "dubious", "description": "Claims our volunteers could not verify.",
        "default_setting": "warn"})
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/townsquare/labelers/labels", as_=checker,
                          json={"value": "dubious", "status_id": post["id"]})
    assert r.status_code == 200, r.text
    plain = (await client.get(f"/api/v1/statuses/{post['id']}", as_=alice)).json()
    assert plain["townsquare"] is None and plain["filtered"] == []
    r = await client.post(f"/api/v1/townsquare/labelers/{checker.id}/subscribe", as_=alice)
    assert r.status_code == 200
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", as_=alice)).json()
    assert seen["townsquare"]["labels"][0]["value"] == "dubious"
    assert seen["filtered"][0]["filter"]["title"] == "Label: dubious"
    await client.put("/api/v1/townsquare/label_preferences", as_=alice, json={
        "labeler_id": str(checker.id), "value": "dubious", "setting": "hide"})
    assert post["id"] not in await ids(client, "/api/v1/timelines/public", alice)
    labelers = (await client.get("/api/v1/townsquare/labelers")).json()
    assert {x["name"] for x in labelers} == {"platform", "factcheck"}


async def test_hide_a_post_from_my_view(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    post = await client.post_status(bob, "annoying")
    r = await client.post(f"/api/v1/townsquare/statuses/{post['id']}/hide", as_=alice)
    assert r.status_code == 200
    assert post["id"] not in await ids(client, "/api/v1/timelines/public", alice)
    assert post["id"] in await ids(client, "/api/v1/timelines/public", bob)
    await client.post(f"/api/v1/townsquare/statuses/{post['id']}/unhide", as_=alice)
    assert post["id"] in await ids(client, "/api/v1/timelines/public", alice)


async def test_reply_policy_is_enforced(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    carol = await client.user("carol")
    post = await client.post_status(alice, "only my followers, please")
    r = await client.put(f"/api/v1/townsquare/statuses/{post['id']}/reply_policy", as_=bob,
                         json={"policy": "followers"})
    assert r.status_code == 403  # only the author chooses
    r = await client.put(f"/api/v1/townsquare/statuses/{post['id']}/reply_policy", as_=alice,
                         json={"policy": "followers"})
    assert r.status_code == 200
    await client.follow(bob, alice)
    ok = await client.post("/api/v1/statuses", as_=bob,
                           json={"status": "agreed", "in_reply_to_id": post["id"]})
    assert ok.status_code == 200, ok.text
    before = await row_counts(client.ctx)
    no = await client.post("/api/v1/statuses", as_=carol,
                           json={"status": "me too", "in_reply_to_id": post["id"]})
    assert no.status_code == 403 and "followers" in no.json()["error"]
    assert await row_counts(client.ctx) == before


async def test_quoted_author_detaches_their_post(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    original = await client.post_status(alice, "my take")
    quote = await client.post_status(bob, "look at this", quote_id=original["id"])
    assert quote["quote"]["id"] == original["id"]
    r = await client.post(f"/api/v1/townsquare/statuses/{quote['id']}/detach_quote", as_=bob)
    assert r.status_code == 403  # only the quoted author
    r = await client.post(f"/api/v1/townsquare/statuses/{quote['id']}/detach_quote", as_=alice)
    assert r.status_code == 200
    seen = (await client.get(f"/api/v1/statuses/{quote['id']}")).json()
    assert seen["quote"] is None
    assert seen["townsquare"]["quote_detached"]["status_id"] == original["id"]
    assert (await client.get(f"/api/v1/statuses/{original['id']}")).json()["quotes_count"] == 0

"""Writing and rating notes: validation, visibility, ownership, one per person, latest wins;
a refused request leaves the database unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Client, User, row_counts
from tests.notes_app.world import LINK, note_json, post
from townsquare.actions import notes as actions
from townsquare.notes import constants as c


@pytest.fixture(autouse=True)
def no_bursts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "RESCORE_AFTER_RATINGS", 10**9)


async def _refused(client: Client, path: str, user: User | None, body: dict[str, Any],
                   status: int, message: str = "") -> None:
    before = await row_counts(client.ctx)
    r = await client.post(path, as_=user, json=body)
    assert r.status_code == status, r.text
    assert message in r.json()["error"]
    assert await row_counts(client.ctx) == before


async def test_write_note_and_validation(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    sid = await post(client, alice, "the moon is made of cheese")
    path = "/api/v1/townsquare/notes"
    # 280 characters counted as in posts (a link is 23): 256 + space + link = 280.
    ok_text = "x" * 256 + " " + LINK
    for body, status, message in [
        (note_json(sid, summary="No source at all"), 422, "source link"),
        (note_json(sid, summary="ftp://example.org only"), 422, "source link"),
        (note_json(sid, summary="x" * 257 + " " + LINK), 422, "281"),
        (note_json(sid, summary="   "), 422, "blank"),
        (note_json(sid, classification="MISLEADING"), 422, "classification"),
        (note_json(sid, reasons=["notMisleadingPersonalOpinion"]), 422, "do not go with"),
        (note_json(sid, reasons=["madeUpReason"]), 422, "madeUpReason"),
        (note_json(sid, reasons=[]), 422, "at least one reason"),
        (note_json("nope"), 404, "Status"),
        (note_json(sid + 999), 404, "Status"),
    ]:
        await _refused(client, path, bob, body, status, message)
    await _refused(client, path, None, note_json(sid), 401)
    await _refused(client, path, alice, note_json(sid), 403, "own post")

    r = await client.post(path, as_=bob, json=note_json(sid, summary=ok_text))
    assert r.status_code == 200, r.text
    note = r.json()
    assert note["status"] == c.NMR and note["own"] is True and note["status_id"] == str(sid)
    assert note["reasons"] == ["misleadingFactualError"]
    assert note["history"] == [] and note["scoring"]["scored"] is False
    await _refused(client, path, bob, note_json(sid, "again"), 422, "already wrote")

    # NOT_MISLEADING notes take their own checkboxes; form-encoded works too.
    carol = await client.user("carol")
    r = await client.post(path, as_=carol, data={
        "status_id": str(sid), "classification": c.NOT_MISLEADING,
        "reasons[]": ["notMisleadingPersonalOpinion", "notMisleadingOther"],
        "summary": f"It is an opinion. {LINK}"})
    assert r.status_code == 200, r.text
    assert r.json()["reasons"] == ["notMisleadingOther", "notMisleadingPersonalOpinion"]


async def test_summary_is_rendered_safely(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    sid = await post(client, alice, "claim")
    hostile = f'<script>alert(1)</script> <img src=x onerror=alert(1)> @alice {LINK}'
    r = await client.post("/api/v1/townsquare/notes", as_=bob,
                          json=note_json(sid, summary=hostile))
    assert r.status_code == 200, r.text
    content = r.json()["content"]
    assert "<script" not in content and "<img" not in content
    assert "&lt;script&gt;" in content
    assert f'<a href="{LINK}"' in content
    assert r.json()["summary"] == hostile


async def test_notes_only_on_posts_the_writer_can_see(client: Client) -> None:
    alice, bob, carol = [await client.user(n) for n in ("alice", "bob", "carol")]
    private = await post(client, alice, "followers only", visibility="private")
    direct = await post(client, alice, "@carol secret", visibility="direct")
    for sid in (private, direct):
        await _refused(client, "/api/v1/townsquare/notes", bob, note_json(sid), 404, "Status")
    # A follower sees the private post and may write a note on it ...
    await client.follow(carol, alice)
    r = await client.post("/api/v1/townsquare/notes", as_=carol, json=note_json(private))
    assert r.status_code == 200, r.text
    note_id = r.json()["id"]
    # ... which those who cannot see the post cannot see, list or rate.
    assert (await client.get(f"/api/v1/townsquare/notes/{note_id}", as_=bob)).status_code == 404
    assert (await client.get(f"/api/v1/townsquare/notes/{note_id}")).status_code == 404
    r = await client.get(f"/api/v1/townsquare/statuses/{private}/notes", as_=bob)
    assert r.status_code == 404
    await _refused(client, f"/api/v1/townsquare/notes/{note_id}/ratings", bob,
                   {"helpfulness": c.HELPFUL}, 404, "Note")
    r = await client.get(f"/api/v1/townsquare/statuses/{private}/notes", as_=alice)
    assert [n["id"] for n in r.json()] == [note_id]
    assert r.json()[0]["own"] is False  # the post's author does not learn who wrote it
    assert "account" not in r.json()[0] and "account_id" not in r.json()[0]


async def test_rate_validation_and_latest_rating_wins(client: Client) -> None:
    alice, bob, carol = [await client.user(n) for n in ("alice", "bob", "carol")]
    sid = await post(client, alice, "claim")
    r = await client.post("/api/v1/townsquare/notes", as_=bob, json=note_json(sid))
    note_id = r.json()["id"]
    path = f"/api/v1/townsquare/notes/{note_id}/ratings"
    for body, status, message in [
        ({"helpfulness": "VERY_HELPFUL"}, 422, "helpfulness"),
        ({}, 422, "helpfulness"),
        ({"helpfulness": c.HELPFUL, "tags": ["notHelpfulIncorrect"]}, 422, "do not go with"),
        ({"helpfulness": c.NOT_HELPFUL, "tags": ["helpfulClear"]}, 422, "do not go with"),
        ({"helpfulness": c.HELPFUL, "tags": ["helpfulMadeUp"]}, 422, "helpfulMadeUp"),
    ]:
        await _refused(client, path, carol, body, status, message)
    await _refused(client, path, bob, {"helpfulness": c.HELPFUL}, 403, "own note")
    await _refused(client, "/api/v1/townsquare/notes/123/ratings", carol,
                   {"helpfulness": c.HELPFUL}, 404, "Note")
    await _refused(client, "/api/v1/townsquare/notes/x/ratings", carol,
                   {"helpfulness": c.HELPFUL}, 404, "Note")

    r = await client.post(path, as_=carol, json={"helpfulness": c.HELPFUL,
                                                 "tags": ["helpfulClear", "helpfulGoodSources"]})
    assert r.status_code == 200, r.text
    assert r.json()["your_rating"]["tags"] == ["helpfulClear", "helpfulGoodSources"]
    counts = await row_counts(client.ctx)
    # Somewhat helpful may carry tags of both sides; the new rating replaces the old one.
    r = await client.post(path, as_=carol, json={
        "helpfulness": c.SOMEWHAT_HELPFUL, "tags": ["helpfulClear", "notHelpfulOutdated"]})
    assert r.status_code == 200, r.text
    assert r.json()["your_rating"] == {**r.json()["your_rating"],
                                       "helpfulness": c.SOMEWHAT_HELPFUL,
                                       "tags": ["helpfulClear", "notHelpfulOutdated"]}
    assert await row_counts(client.ctx) == counts  # still one rating
    r = await client.post(path, as_=carol, json={"helpfulness": c.NOT_HELPFUL})
    assert r.json()["your_rating"]["helpfulness"] == c.NOT_HELPFUL
    assert r.json()["your_rating"]["tags"] == []
    # The rater sees their rating; others see the note without it.
    assert (await client.get(f"/api/v1/townsquare/notes/{note_id}", as_=alice)
            ).json()["your_rating"] is None
    me = (await client.get("/api/v1/townsquare/notes/me", as_=carol)).json()
    assert [x["rating"]["helpfulness"] for x in me["ratings"]] == [c.NOT_HELPFUL]


async def test_vocabulary_lists_the_published_names(client: Client) -> None:
    v = (await client.get("/api/v1/townsquare/notes/vocabulary")).json()
    assert [r["name"] for r in v["classifications"][c.MISLEADING]] == list(c.MISLEADING_TAGS)
    assert [r["name"] for r in v["classifications"][c.NOT_MISLEADING]] == list(
        c.NOT_MISLEADING_TAGS)
    assert [t["name"] for t in v["helpfulness"][c.HELPFUL]] == list(c.HELPFUL_TAGS)
    assert [t["name"] for t in v["helpfulness"][c.NOT_HELPFUL]] == list(c.NOT_HELPFUL_TAGS)
    assert v["max_chars"] == 280

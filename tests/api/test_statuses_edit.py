"""PUT /api/v1/statuses/:id, /history and /source: edits keep a history (original first),
re-render, re-sync mentions and tags, notify reposters, and reset changed polls."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import Client, row_counts
from townsquare.store.tables import notifications


async def test_edit_history_and_source(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    post = await client.post_status(alice, "first #one @bob")
    sid = post["id"]
    history = (await client.get(f"/api/v1/statuses/{sid}/history")).json()
    assert [h["content"] for h in history] == [post["content"]]  # unedited: itself

    await client.post(f"/api/v1/statuses/{sid}/reblog", as_=carol)
    client.ctx.clock.advance(60)  # type: ignore[attr-defined]
    r = await client.put(f"/api/v1/statuses/{sid}", as_=alice,
                         json={"status": "second #two @carol", "spoiler_text": "cw"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["edited_at"] is not None and "second" in edited["content"]
    assert edited["sensitive"] is True
    assert [t["name"] for t in edited["tags"]] == ["two"]
    assert [m["username"] for m in edited["mentions"]] == ["carol"]
    client.ctx.clock.advance(60)  # type: ignore[attr-defined]
    await client.put(f"/api/v1/statuses/{sid}", as_=alice, json={"status": "third"})

    history = (await client.get(f"/api/v1/statuses/{sid}/history")).json()
    assert len(history) == 3
    assert "first" in history[0]["content"] and history[0]["created_at"] == post["created_at"]
    assert "second" in history[1]["content"] and history[1]["spoiler_text"] == "cw"
    assert "third" in history[2]["content"] and history[2]["sensitive"] is False
    assert history[0]["created_at"] < history[1]["created_at"] < history[2]["created_at"]

    source = (await client.get(f"/api/v1/statuses/{sid}/source", as_=bob)).json()
    assert source == {"id": sid, "text": "third", "spoiler_text": ""}
    async with client.ctx.db.read() as conn:
        rows = (await conn.execute(select(notifications.c.type).where(
            notifications.c.account_id == carol.id).order_by(notifications.c.id))).all()
    # carol: mentioned by the first edit, then told of both edits as a reposter.
    assert [r.type for r in rows] == ["mention", "update", "update"]

    # Editing with nothing changed records nothing.
    before = await row_counts(client.ctx)
    await client.put(f"/api/v1/statuses/{sid}", as_=alice, json={"status": "third"})
    assert await row_counts(client.ctx) == before


async def test_only_the_author_edits_and_bad_edits_change_nothing(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    post = await client.post_status(alice, "mine")
    before = await row_counts(client.ctx)
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=bob, json={"status": "yours"})
    assert r.status_code == 404
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice, json={"status": "x" * 501})
    assert r.status_code == 422
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice, json={"status": ""})
    assert r.status_code == 422
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice,
                         json={"status": "a", "media_ids": ["12345"]})
    assert r.status_code == 422
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice,
                         json={"status": "a", "poll": {"options": ["only one"]}})
    assert r.status_code == 422
    assert await row_counts(client.ctx) == before
    assert (await client.get(f"/api/v1/statuses/{post['id']}/source")).status_code == 401


async def test_editing_poll_options_resets_votes(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    post = await client.post_status(alice, "vote", poll={"options": ["a", "b"],
                                                          "expires_in": 3600})
    poll_id = post["poll"]["id"]
    r = await client.post(f"/api/v1/polls/{poll_id}/votes", as_=bob, json={"choices": [0]})
    assert r.status_code == 200, r.text
    # Same options: the votes stand.
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice,
                         json={"status": "vote!", "poll": {"options": ["a", "b"],
                                                           "expires_in": 3600}})
    assert r.json()["poll"]["votes_count"] == 1
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice,
                         json={"status": "vote!", "poll": {"options": ["a", "c"],
                                                           "expires_in": 3600}})
    poll = r.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["a", "c"]
    assert poll["votes_count"] == 0 and [o["votes_count"] for o in poll["options"]] == [0, 0]
    seen = (await client.get(f"/api/v1/polls/{poll_id}", as_=bob)).json()
    assert seen["voted"] is False and seen["own_votes"] == []
    history = (await client.get(f"/api/v1/statuses/{post['id']}/history")).json()
    assert history[0]["poll"] == {"options": [{"title": "a"}, {"title": "b"}]}
    assert history[-1]["poll"] == {"options": [{"title": "a"}, {"title": "c"}]}
    # Leaving the poll out removes it (Mastodon's PUT replaces the post).
    r = await client.put(f"/api/v1/statuses/{post['id']}", as_=alice, json={"status": "no poll"})
    assert r.json()["poll"] is None

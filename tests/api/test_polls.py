"""Polls: one vote per account, closed polls, bad choices, exact counts, hidden totals,
percentages, and "poll ended" notices sent exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers import Client, User, row_counts
from townsquare.actions.polls import end_polls
from townsquare.store.tables import notifications


async def make_poll(client: Client, author: User, **poll: Any) -> dict[str, Any]:
    post = await client.post_status(author, "which?", poll={
        "options": ["red", "green", "blue"], "expires_in": 3600, **poll})
    return dict(post["poll"])


async def test_vote_counts_and_refusals(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    poll = await make_poll(client, alice)
    url = f"/api/v1/polls/{poll['id']}/votes"
    r = await client.post(url, as_=bob, data={"choices[]": "1"})  # a form, as apps send it
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["voted"] is True and body["own_votes"] == [1]
    assert [o["votes_count"] for o in body["options"]] == [0, 1, 0]
    assert body["votes_count"] == 1 and body["voters_count"] is None  # single choice
    assert body["townsquare"]["percentages"] == [0.0, 100.0, 0.0]

    before = await row_counts(client.ctx)
    again = await client.post(url, as_=bob, json={"choices": [2]})
    assert again.status_code == 422
    assert "You have already voted on this poll" in again.json()["error"]
    for bad in ([3], [-1], [0, 2], [], ["x"]):
        r = await client.post(url, as_=carol, json={"choices": bad})
        assert r.status_code == 422, bad
    assert (await client.post("/api/v1/polls/999/votes", as_=carol,
                              json={"choices": [0]})).status_code == 404
    assert await row_counts(client.ctx) == before

    r = await client.post(url, as_=carol, json={"choices": ["0"]})  # ints as strings
    assert r.json()["votes_count"] == 2
    assert r.json()["townsquare"]["percentages"] == [50.0, 50.0, 0.0]
    # Others see the counts but not who voted what.
    seen = (await client.get(f"/api/v1/polls/{poll['id']}", as_=alice)).json()
    assert [o["votes_count"] for o in seen["options"]] == [1, 1, 0]
    anon = (await client.get(f"/api/v1/polls/{poll['id']}")).json()
    assert anon["voted"] is None and anon["own_votes"] is None


async def test_multiple_choice_counts_votes_and_voters(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    poll = await make_poll(client, alice, multiple=True)
    url = f"/api/v1/polls/{poll['id']}/votes"
    await client.post(url, as_=bob, json={"choices": [0, 2]})
    r = await client.post(url, as_=carol, json={"choices": [2]})
    body = r.json()
    assert body["votes_count"] == 3 and body["voters_count"] == 2
    assert [o["votes_count"] for o in body["options"]] == [1, 0, 2]
    assert body["townsquare"]["percentages"] == [50.0, 0.0, 100.0]
    assert "voters" in body["townsquare"]["computed"]
    r = await client.post(url, as_=carol, json={"choices": [0, 0]})
    assert r.status_code == 422


async def test_closed_polls_hidden_totals_and_private_polls(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    poll = await make_poll(client, alice, hide_totals=True)
    r = await client.post(f"/api/v1/polls/{poll['id']}/votes", as_=bob, json={"choices": [0]})
    assert [o["votes_count"] for o in r.json()["options"]] == [None, None, None]
    assert r.json()["townsquare"]["percentages"] is None
    mine = (await client.get(f"/api/v1/polls/{poll['id']}", as_=alice)).json()
    assert [o["votes_count"] for o in mine["options"]] == [1, 0, 0]  # the author sees them
    client.ctx.clock.advance(3601)  # type: ignore[attr-defined]
    ended = (await client.get(f"/api/v1/polls/{poll['id']}", as_=bob)).json()
    assert ended["expired"] is True and [o["votes_count"] for o in ended["options"]] == [1, 0, 0]
    carol = await client.user("carol")
    r = await client.post(f"/api/v1/polls/{poll['id']}/votes", as_=carol, json={"choices": [1]})
    assert r.status_code == 422 and "ended" in r.json()["error"]

    hidden = await client.post_status(alice, "secret poll", visibility="private",
                                      poll={"options": ["a", "b"], "expires_in": 3600})
    pid = hidden["poll"]["id"]
    assert (await client.get(f"/api/v1/polls/{pid}", as_=bob)).status_code == 404
    r = await client.post(f"/api/v1/polls/{pid}/votes", as_=bob, json={"choices": [0]})
    assert r.status_code == 404


async def test_poll_end_notifies_author_and_voters_once(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    poll = await make_poll(client, alice, multiple=True)
    other = await make_poll(client, carol)
    await client.post(f"/api/v1/polls/{poll['id']}/votes", as_=bob, json={"choices": [0, 1]})
    await client.post(f"/api/v1/polls/{poll['id']}/votes", as_=alice, json={"choices": [2]})
    assert await end_polls(client.ctx) == 0
    client.ctx.clock.advance(3600)  # type: ignore[attr-defined]
    assert await end_polls(client.ctx) == 2
    assert await end_polls(client.ctx) == 0

    async with client.ctx.db.read() as conn:
        rows = (await conn.execute(select(notifications.c.account_id,
                                          notifications.c.from_account_id)
                                   .where(notifications.c.type == "poll"))).all()
    assert sorted((r.account_id, r.from_account_id) for r in rows) == sorted(
        [(alice.id, alice.id), (bob.id, alice.id), (carol.id, carol.id)])
    assert other["id"] != poll["id"]


async def test_concurrent_votes_count_once(client: Client) -> None:
    import asyncio

    alice, bob = await client.user("alice"), await client.user("bob")
    poll = await make_poll(client, alice)
    url = f"/api/v1/polls/{poll['id']}/votes"
    results = await asyncio.gather(*[client.post(url, as_=bob, json={"choices": [i % 3]})
                                     for i in range(6)])
    assert sorted(r.status_code for r in results) == [200] + [422] * 5
    final = (await client.get(f"/api/v1/polls/{poll['id']}", as_=bob)).json()
    assert final["votes_count"] == 1 and sum(o["votes_count"] for o in final["options"]) == 1

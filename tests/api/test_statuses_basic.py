"""The vertical slice: post, read back, see it in home; errors are clear and change nothing."""

from __future__ import annotations

from tests.helpers import Client, row_counts


async def test_post_and_read_back(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    status = await client.post_status(alice, "hi @bob, see #Townsquare https://example.org")
    assert status["account"]["username"] == "alice"
    assert [m["username"] for m in status["mentions"]] == ["bob"]
    assert [t["name"] for t in status["tags"]] == ["townsquare"]
    assert 'href="https://example.org"' in status["content"]
    assert status["favourited"] is False and status["reblogged"] is False
    r = await client.get(f"/api/v1/statuses/{status['id']}")
    assert r.status_code == 200 and r.json()["id"] == status["id"]
    home = await client.get("/api/v1/timelines/home", as_=alice)
    assert [s["id"] for s in home.json()] == [status["id"]]
    assert bob.id != alice.id


async def test_too_long_post_is_refused_and_changes_nothing(client: Client) -> None:
    alice = await client.user("alice")
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/statuses", as_=alice, json={"status": "x" * 501})
    assert r.status_code == 422
    assert "500" in r.json()["error"]
    assert await row_counts(client.ctx) == before


async def test_unknown_ids_and_bad_tokens(client: Client) -> None:
    assert (await client.get("/api/v1/statuses/12345")).status_code == 404
    assert (await client.get("/api/v1/statuses/not-an-id")).status_code == 404
    r = await client.get("/api/v1/timelines/home", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "error" in r.json()
    assert (await client.get("/api/v1/timelines/home")).status_code == 401


async def test_scopes_are_enforced(client: Client) -> None:
    alice = await client.user("alice")
    reader = await client.token(alice, ["read"])
    r = await client.post("/api/v1/statuses", as_=reader, json={"status": "hi"})
    assert r.status_code == 403
    assert (await client.get("/api/v1/timelines/home", as_=reader)).status_code == 200

"""Markers: saved read positions, versioned, form or JSON."""

from __future__ import annotations

from tests.helpers import Client, row_counts


async def test_save_and_read_markers(client: Client) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    r = await client.get("/api/v1/markers", as_=alice,
                         params={"timeline[]": ["home", "notifications"]})
    assert r.status_code == 200 and r.json() == {}
    r = await client.post("/api/v1/markers", as_=alice, json={"home": {"last_read_id": "123"}})
    assert r.status_code == 200
    home = r.json()["home"]
    assert home["last_read_id"] == "123" and home["version"] == 0
    assert home["updated_at"].endswith("Z")
    client.ctx.clock.advance(5)  # type: ignore[attr-defined]
    r = await client.post("/api/v1/markers", as_=alice,
                          data={"home[last_read_id]": "456",
                                "notifications[last_read_id]": "7"})
    body = r.json()
    assert body["home"]["last_read_id"] == "456" and body["home"]["version"] == 1
    assert body["home"]["updated_at"] > home["updated_at"]
    assert body["notifications"] == {**body["notifications"], "last_read_id": "7",
                                     "version": 0}
    r = await client.get("/api/v1/markers?timeline[]=home", as_=alice)
    assert list(r.json()) == ["home"] and r.json()["home"]["version"] == 1
    r = await client.get("/api/v1/markers", as_=alice,
                         params={"timeline[]": ["home", "notifications"]})
    assert set(r.json()) == {"home", "notifications"}
    # Markers are per account.
    assert (await client.get("/api/v1/markers?timeline[]=home", as_=bob)).json() == {}


async def test_bad_markers_are_refused_and_change_nothing(client: Client) -> None:
    alice = await client.user("alice")
    before = await row_counts(client.ctx)
    for body in ({}, {"home": {"last_read_id": "abc"}}, {"home": {}},
                 {"home": {"last_read_id": "1" * 25}}):
        r = await client.post("/api/v1/markers", as_=alice, json=body)
        assert r.status_code == 422, body
        assert "error" in r.json()
    assert (await client.post("/api/v1/markers", json={"home": {"last_read_id": "1"}})
            ).status_code == 401
    assert await row_counts(client.ctx) == before

"""The per-process cache of Account entities never serves a stale profile: edits through
the API, and changes written by another process straight into the database, show on the
next page of statuses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from tests.helpers import Client, User
from townsquare.context import Context
from townsquare.store.tables import accounts


async def _author_on_home(client: Client, reader: User) -> dict[str, Any]:
    r = await client.get("/api/v1/timelines/home", as_=reader)
    assert r.status_code == 200, r.text
    author: dict[str, Any] = r.json()[0]["account"]
    return author


async def test_profile_edits_show_at_once(client: Client, ctx: Context) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.follow(alice, bob)
    await client.post_status(bob, "hello")
    first = await _author_on_home(client, alice)
    assert first["display_name"] == "" and first["statuses_count"] == 1
    assert await _author_on_home(client, alice) == first  # served again, unchanged

    r = await client.patch("/api/v1/accounts/update_credentials", as_=bob,
                           data={"display_name": "Bob B.", "note": "hi"})
    assert r.status_code == 200, r.text
    edited = await _author_on_home(client, alice)
    assert edited["display_name"] == "Bob B." and "hi" in edited["note"]

    # another process (no cache invalidation here) changes the row: the next page shows it
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == bob.id)
                         .values(display_name="Robert", followers_count=42, bot=True))
    changed = await _author_on_home(client, alice)
    assert changed["display_name"] == "Robert"
    assert changed["followers_count"] == 42 and changed["bot"] is True

    await client.post_status(bob, "again")
    assert (await _author_on_home(client, alice))["statuses_count"] == 2


async def test_suspension_shows_at_once(client: Client, ctx: Context) -> None:
    alice = await client.user("alice")
    bob = await client.user("bob")
    await client.follow(alice, bob)
    await client.post_status(bob, "hello")
    r = await client.patch("/api/v1/accounts/update_credentials", as_=bob,
                           data={"display_name": "Bob"})
    assert r.status_code == 200, r.text
    assert (await _author_on_home(client, bob))["display_name"] == "Bob"
    async with ctx.db.write() as tx:  # written behind this process's back
        await tx.execute(update(accounts).where(accounts.c.id == bob.id)
                         .values(suspended_at=ctx.clock.now()))
    r = await client.get(f"/api/v1/accounts/{bob.id}/statuses", as_=alice)
    assert r.status_code == 200 and r.json() == []
    r = await client.get("/api/v1/timelines/home", as_=alice)
    assert r.status_code == 200 and r.json() == []

"""Posting reads no token: the identity of a token seen before comes from the process's cache
(api/auth.py Identities) and the post writer checks, in its batch, that the token is still
live and its account not suspended. These tests prove a cached token is refused exactly as a
read one was: at once, with the same errors, writing nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from tests.helpers import Client, row_counts
from townsquare.api.auth import hash_token, identities
from townsquare.store.tables import accounts, tokens


async def _revoke(client: Client, token: str) -> None:
    async with client.ctx.db.write() as tx:
        await tx.execute(update(tokens).where(tokens.c.token_hash == hash_token(token))
                         .values(revoked_at=client.ctx.clock.now()))


async def test_posting_caches_the_identity_and_refuses_a_revoked_token(client: Client) -> None:
    alice = await client.user("alice")
    await client.post_status(alice, "first")  # read from the database, then cached
    assert identities(client.ctx).get(hash_token(alice.token)) is not None
    await client.post_status(alice, "second")  # from the cache, checked by the writer
    await _revoke(client, alice.token)
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/statuses", as_=alice, json={"status": "third"})
    assert r.status_code == 401
    assert r.json() == {"error": "The access token is invalid"}
    assert "invalid_token" in r.headers["www-authenticate"]
    assert await row_counts(client.ctx) == before
    # Dropped from the cache: the next request reads the token again (and is refused).
    assert identities(client.ctx).get(hash_token(alice.token)) is None
    r = await client.post("/api/v1/statuses", as_=alice, json={"status": "fourth"})
    assert r.status_code == 401


async def test_a_suspended_account_cannot_post_with_a_cached_token(client: Client) -> None:
    alice = await client.user("alice")
    await client.post_status(alice, "first")
    # Suspension revokes the account's tokens (actions/moderation.py); this test leaves
    # them live to show the writer checks the account as the token read did.
    async with client.ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == alice.id)
                         .values(suspended_at=client.ctx.clock.now()))
    before = await row_counts(client.ctx)
    r = await client.post("/api/v1/statuses", as_=alice, json={"status": "second"})
    assert r.status_code == 403
    assert r.json() == {"error": "Your account is suspended"}
    assert await row_counts(client.ctx) == before


async def test_a_revoked_token_fails_alone_in_its_batch(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    await client.post_status(alice, "cached")
    await client.post_status(bob, "cached")
    await _revoke(client, alice.token)
    # Posted at the same moment: written by one batch (actions/posting.py).
    answers = await asyncio.gather(*(
        client.post("/api/v1/statuses", as_=who, json={"status": f"{who.username} {i}"})
        for i in range(3) for who in (alice, bob)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 401, 401, 401]
    for r in answers:
        if r.status_code == 200:
            assert r.json()["account"]["id"] == str(bob.id)


async def test_scopes_are_checked_for_a_cached_identity(client: Client) -> None:
    alice = await client.user("alice")
    await client.post_status(alice, "first")
    reader = await client.token(alice, ["read"])
    await client.get("/api/v1/accounts/verify_credentials", as_=reader)  # now cached too
    assert identities(client.ctx).get(hash_token(reader.token)) is not None
    r = await client.post("/api/v1/statuses", as_=reader, json={"status": "no"})
    assert r.status_code == 403
    assert "write:statuses" in r.json()["error"]

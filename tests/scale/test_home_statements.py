"""A home page costs one statement once the process's caches are warm: the page, with the
version counters of everything shown, reposted and quoted posts included (on Redis it also
checks the ids and reads the big accounts' page: timelines/truth.py; in SQL,
timelines/sql.py), and the check of a token the process has seen before with the reader's
counters (store/token_check.py). The renderer then asks the database nothing
(queries/status_docs.py probe). With a big account followed, SQL timelines read its page
with a statement of its own (two).

The token is still refused at once when revoked, the account when suspended, and a change
of the reader's relations (a block) shows on the very next page."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.helpers import Client, User
from tests.scale.world import follow, post
from townsquare.actions.interactions import reblog
from townsquare.context import Context
from townsquare.store.tables import accounts, tokens


async def _page(client: Client, reader: User) -> tuple[int, list[dict[str, object]]]:
    with client.ctx.db.counting() as n:
        r = await client.get("/api/v1/timelines/home", as_=reader, params={"limit": 20})
    assert r.status_code == 200, r.text
    return n[0], r.json()


@pytest.mark.parametrize("big", [False, True])
async def test_a_warm_home_page_is_one_statement(ctx: Context, client: Client, store: str,
                                                  big: bool) -> None:
    alice, bob, carol = [await client.user(n) for n in ("alice", "bob", "carol")]
    dave = await client.user("dave")
    for who in (bob, carol):
        await follow(ctx, alice.id, who.id)
    if big:  # above the fan-out threshold of 4 (conftest): bob's posts are pulled at read
        for i in range(5):
            fan = await client.user(f"fan{i}")
            await follow(ctx, fan.id, bob.id)
    await _page(client, alice)  # the timeline exists from here on: pushes land in it
    original = await post(ctx, dave.id, "an original")
    quoted = await post(ctx, dave.id, "quoted")
    await reblog(ctx, bob.id, original)
    await post(ctx, carol.id, "a quote", quote_id=quoted)
    await post(ctx, bob.id, "bob's own")
    await ctx.jobs.queue.drain(timeout=10)

    _, first = await _page(client, alice)  # fills the caches
    statements, again = await _page(client, alice)
    assert again == first
    assert [s["content"] for s in first] == ["<p>bob's own</p>", "<p>a quote</p>", ""]
    assert first[2]["reblog"]["id"] == str(original)  # type: ignore[index]
    assert first[1]["quote"]["id"] == str(quoted)  # type: ignore[index]
    assert statements == (2 if big and store == "sql" else 1)

    # A block bumps alice's relations counter: the page, made with her cached relations,
    # is made again with the new ones, and bob's posts are gone from it.
    r = await client.post(f"/api/v1/accounts/{bob.id}/block", as_=alice)
    assert r.status_code == 200, r.text
    _, blocked = await _page(client, alice)
    assert [s["content"] for s in blocked] == ["<p>a quote</p>"]

    await _revoke(ctx, alice)
    r = await client.get("/api/v1/timelines/home", as_=alice)
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}


async def test_a_cached_token_of_a_suspended_account_is_refused(ctx: Context,
                                                                client: Client) -> None:
    alice = await client.user("alice")
    await _page(client, alice)
    await _page(client, alice)  # the identity and the relations cached
    async with ctx.db.write() as tx:
        await tx.execute(update(accounts).where(accounts.c.id == alice.id)
                         .values(suspended_at=ctx.clock.now()))
    r = await client.get("/api/v1/timelines/home", as_=alice)
    assert r.status_code == 403 and r.json() == {"error": "Your account is suspended"}


async def _revoke(ctx: Context, user: User) -> None:
    async with ctx.db.write() as tx:
        await tx.execute(update(tokens).where(tokens.c.account_id == user.id)
                         .values(revoked_at=ctx.clock.now()))

"""DELETE /api/v1/statuses/:id: author only, answers with the source, and leaves every
counter, timeline, notification and search index as if the post had never been."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import Client, User, row_counts
from townsquare.actions import relationships
from townsquare.store.tables import accounts, home_timeline, notifications, statuses


async def account_count(client: Client, user: User) -> int:
    async with client.ctx.db.read() as conn:
        return int((await conn.execute(select(accounts.c.statuses_count)
                                       .where(accounts.c.id == user.id))).scalar_one())


async def status_counts(client: Client, status_id: str) -> tuple[int, int, int]:
    async with client.ctx.db.read() as conn:
        row = (await conn.execute(select(statuses.c.replies_count, statuses.c.reblogs_count,
                                         statuses.c.quotes_count)
                                  .where(statuses.c.id == int(status_id)))).one()
    return (row.replies_count, row.reblogs_count, row.quotes_count)


async def test_delete_returns_source_and_cleans_up(client: Client) -> None:
    alice, bob, carol = (await client.user("alice"), await client.user("bob"),
                         await client.user("carol"))
    await relationships.follow(client.ctx, carol.id, bob.id)
    root = await client.post_status(alice, "root")
    reply = await client.post_status(bob, "a reply by @alice with #words",
                                     in_reply_to_id=root["id"], spoiler_text="cw")
    quote = await client.post_status(bob, "quoting", quote_id=root["id"])
    assert await status_counts(client, root["id"]) == (1, 0, 1)
    # carol reposts bob's reply and likes it; alice likes it too.
    r = await client.post(f"/api/v1/statuses/{reply['id']}/reblog", as_=carol)
    assert r.status_code == 200
    gone = [int(reply["id"]), int(r.json()["id"])]
    await client.post(f"/api/v1/statuses/{reply['id']}/favourite", as_=alice)
    bob_before, carol_before = await account_count(client, bob), await account_count(client, carol)

    # Someone else cannot delete it.
    counts = await row_counts(client.ctx)
    assert (await client.delete(f"/api/v1/statuses/{reply['id']}", as_=alice)).status_code == 404
    assert (await client.delete(f"/api/v1/statuses/{reply['id']}")).status_code == 401
    assert await row_counts(client.ctx) == counts

    r = await client.delete(f"/api/v1/statuses/{reply['id']}", as_=bob)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"] == "a reply by @alice with #words" and body["spoiler_text"] == "cw"
    assert (await client.get(f"/api/v1/statuses/{reply['id']}")).status_code == 404
    assert await status_counts(client, root["id"]) == (0, 0, 1)
    assert await account_count(client, bob) == bob_before - 1
    assert await account_count(client, carol) == carol_before - 1  # her repost went too
    async with client.ctx.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(statuses).where(
            statuses.c.reblog_of_id == int(reply["id"])))).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(notifications).where(
            notifications.c.account_id == bob.id, notifications.c.type != "follow")
        )).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(home_timeline).where(
            home_timeline.c.status_id.in_(gone)))).scalar_one() == 0
    # Deleting the quote corrects the quoted post's count; twice is a 404.
    assert (await client.delete(f"/api/v1/statuses/{quote['id']}", as_=bob)).status_code == 200
    assert await status_counts(client, root["id"]) == (0, 0, 0)
    assert (await client.delete(f"/api/v1/statuses/{quote['id']}", as_=bob)).status_code == 404


async def test_deleting_a_repost_is_an_unreblog(client: Client) -> None:
    alice, bob = await client.user("alice"), await client.user("bob")
    post = await client.post_status(alice, "hi")
    wrapper = (await client.post(f"/api/v1/statuses/{post['id']}/reblog", as_=bob)).json()
    assert (await client.delete(f"/api/v1/statuses/{wrapper['id']}", as_=bob)).status_code == 200
    assert await status_counts(client, post["id"]) == (0, 0, 0)
    assert await account_count(client, bob) == 0


async def test_deleted_post_leaves_search(client: Client) -> None:
    alice = await client.user("alice")
    post = await client.post_status(alice, "zanzibarquux")
    await client.delete(f"/api/v1/statuses/{post['id']}", as_=alice)
    async with client.ctx.db.read() as conn:
        if client.ctx.db.is_sqlite:
            from sqlalchemy import text

            hits = (await conn.execute(text(
                "SELECT count(*) FROM statuses_fts WHERE statuses_fts MATCH 'zanzibarquux'")
            )).scalar_one()
        else:
            hits = (await conn.execute(select(func.count()).select_from(statuses).where(
                statuses.c.text.contains("zanzibarquux")))).scalar_one()
    assert hits == 0


async def test_private_post_counts_are_untouched(client: Client) -> None:
    alice = await client.user("alice")
    await client.post_status(alice, "public")
    private = await client.post_status(alice, "secret", visibility="private")
    assert await account_count(client, alice) == 1
    await client.delete(f"/api/v1/statuses/{private['id']}", as_=alice)
    assert await account_count(client, alice) == 1

"""The version counters caches are checked against (store/versions.py) move with every change,
whoever makes it: the triggers exist on both databases, and writes made around the actions
(a moderator's SQL, a job, a bulk fix) bump them as the actions' own writes do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from tests.helpers import Client
from townsquare.actions import interactions, relationships
from townsquare.actions.statuses import NewPoll, NewStatus, create_status
from townsquare.store import versions
from townsquare.store.tables import accounts, polls, statuses, users


async def _installed(client: Client) -> set[str]:
    async with client.ctx.db.read() as conn:
        if client.ctx.db.is_sqlite:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return {name for (name,) in await conn.execute(text(sql))}


async def test_every_bump_has_its_triggers(client: Client) -> None:
    expected = {name for _, name in versions.trigger_names()}
    assert len(expected) > 60
    assert expected <= await _installed(client)


async def _versions(client: Client, status_id: int, author_id: int, viewer_id: int
                    ) -> tuple[int, int, int, int]:
    async with client.ctx.db.read() as conn:
        s = (await conn.execute(select(statuses.c.version)
                                .where(statuses.c.id == status_id))).scalar_one()
        a = (await conn.execute(select(accounts.c.version)
                                .where(accounts.c.id == author_id))).scalar_one()
        r, m = (await conn.execute(select(users.c.relations_version, users.c.marks_version)
                                   .where(users.c.account_id == viewer_id))).one()
    return s, a, r, m


async def test_writes_around_the_actions_bump_the_counters(client: Client) -> None:
    ctx = client.ctx
    author = await client.user("author")
    viewer = await client.user("viewer")
    sid = await create_status(ctx, author.id, NewStatus(text="poll", poll=NewPoll(["a", "b"],
                                                                                  3600)))
    async with ctx.db.read() as conn:
        poll_id = (await conn.execute(select(polls.c.id).where(polls.c.status_id == sid))
                   ).scalar_one()
    now = ctx.clock.now()
    p = {"s": sid, "a": author.id, "v": viewer.id, "p": poll_id, "now": now}
    # (what changes, SQL, which counter moves: status, author, relations, marks)
    cases: list[tuple[str, str, int]] = [
        ("status row", "UPDATE statuses SET favourites_count = 5 WHERE id = :s", 0),
        ("status moderation", "INSERT INTO status_moderation (status_id, reach_limited, "
         "interstitial, removed, updated_at) VALUES (:s, true, false, false, :now)", 0),
        ("status moderation lifted", "DELETE FROM status_moderation WHERE status_id = :s", 0),
        ("poll totals", "UPDATE polls SET votes_count = 3 WHERE id = :p", 0),
        ("poll option", "UPDATE poll_options SET votes_count = 3 WHERE poll_id = :p "
         "AND position = 0", 0),
        ("label", "INSERT INTO labels (id, labeler_id, value, status_id, created_at) "
         "VALUES (1, 0, 'spam', :s, :now)", 0),
        ("label removed", "UPDATE labels SET removed_at = :now WHERE id = 1", 0),
        ("quote detached", "INSERT INTO quote_detachments (status_id, detached_status_id, "
         "created_at) VALUES (:s, 1, :now)", 0),
        ("account row", "UPDATE accounts SET display_name = 'A' WHERE id = :a", 1),
        ("account moderation", "INSERT INTO account_moderation (account_id, reach_limited, "
         "updated_at) VALUES (:a, true, :now)", 1),
        ("account label", "INSERT INTO labels (id, labeler_id, value, account_id, created_at)"
         " VALUES (2, 0, 'spam', :a, :now)", 1),
        ("mute", "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, "
         "created_at) VALUES (3, :v, :a, true, :now)", 2),
        ("muted word", "INSERT INTO filters (id, account_id, title, context, filter_action, "
         "except_following, created_at) VALUES (4, :v, 't', '[\"home\"]', 'warn', false, "
         ":now)", 2),
        ("muted word keyword", "INSERT INTO filter_keywords (id, filter_id, keyword, "
         "whole_word) VALUES (5, 4, 'x', true)", 2),
        ("hidden post", "INSERT INTO hidden_statuses (account_id, status_id, created_at) "
         "VALUES (:v, :s, :now)", 3),
        ("vote", "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at) "
         "VALUES (6, :p, :v, 1, :now)", 3),
    ]
    for label, sql, which in cases:
        before = await _versions(client, sid, author.id, viewer.id)
        async with ctx.db.write() as tx:
            await tx.execute(text(sql), p)
        after = await _versions(client, sid, author.id, viewer.id)
        assert after[which] > before[which], (label, before, after)


async def test_actions_bump_the_viewer_counters(client: Client) -> None:
    ctx = client.ctx
    author = await client.user("author")
    viewer = await client.user("viewer")
    sid = await create_status(ctx, author.id, NewStatus(text="hello"))
    steps: list[tuple[str, Any, int]] = [
        ("follow", lambda: relationships.follow(ctx, viewer.id, author.id), 2),
        ("like", lambda: interactions.favourite(ctx, viewer.id, sid), 3),
        ("bookmark", lambda: interactions.bookmark(ctx, viewer.id, sid), 3),
        ("repost", lambda: interactions.reblog(ctx, viewer.id, sid), 3),
        ("block", lambda: relationships.block(ctx, author.id, viewer.id), 2),
    ]
    for label, step, which in steps:
        before = await _versions(client, sid, author.id, viewer.id)
        await step()
        after = await _versions(client, sid, author.id, viewer.id)
        assert after[which] > before[which], (label, before, after)

"""The demo square: fills an empty database through the actions, deterministically, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from townsquare.config import Settings
from townsquare.context import build_context
from townsquare.demo import DEMO_PASSWORD, PERSONAS, fill_demo
from townsquare.store.migrate import upgrade
from townsquare.store.tables import accounts, favourites, follows, polls, statuses

# What seed 7 plans (the plan is drawn before anything is written, so it is exact).
EXPECTED = {"accounts": 30, "follows": 296, "posts": 101, "replies": 38, "likes": 227,
            "reposts": 21, "quotes": 2, "votes": 24, "skipped": 0}


async def test_demo_fills_an_empty_square_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_cost=1024,
                        secret_key="demo-test")
    upgrade(settings.resolved_database_url)
    made = await fill_demo(settings, seed=7)
    assert made == EXPECTED

    ctx = build_context(settings)
    try:
        async with ctx.db.read() as conn:
            async def count(table, *where) -> int:  # type: ignore[no-untyped-def]
                q = select(func.count()).select_from(table)
                return int((await conn.execute(q.where(*where) if where else q)).scalar_one())

            assert await count(accounts) == len(PERSONAS)
            assert await count(accounts, accounts.c.bot.is_(True)) == 2
            assert await count(follows) + 0 <= EXPECTED["follows"]  # locked: some are requests
            assert await count(favourites) == EXPECTED["likes"]
            assert await count(statuses, statuses.c.visibility == "private") == 1
            assert await count(statuses, statuses.c.reblog_of_id.isnot(None)) == \
                EXPECTED["reposts"]
            assert await count(statuses, statuses.c.in_reply_to_id.isnot(None)) == \
                EXPECTED["replies"]
            now = datetime.now(UTC)
            rows = (await conn.execute(select(polls.c.expires_at, polls.c.votes_count))).all()
            assert len(rows) == 2
            for expires_at, votes in rows:
                expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
                assert expires > now and votes > 0  # open, and voted on
            first, last = (await conn.execute(
                select(func.min(statuses.c.created_at), func.max(statuses.c.created_at))
            )).one()
            first = first if first.tzinfo else first.replace(tzinfo=UTC)
            last = last if last.tzinfo else last.replace(tzinfo=UTC)
            assert now - first > timedelta(days=4)  # spread over the past days
            assert last <= now
        assert await _can_log_in(ctx, "mei_lin")
    finally:
        await ctx.db.dispose()

    # A second run leaves a square with accounts alone.
    assert await fill_demo(settings, seed=7) == {}


async def _can_log_in(ctx, username: str) -> bool:  # type: ignore[no-untyped-def]
    from townsquare.actions.accounts import check_password

    return await check_password(ctx, username, DEMO_PASSWORD) is not None

"""Honest trends from current rows: deleted posts are gone from these tables, so they stop
counting at once; only established accounts count; a campaign counts once (integrity/trends.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.integrity import rules
from townsquare.integrity.campaigns import campaign_of
from townsquare.integrity.trends import TrendScore, rank
from townsquare.store.tables import accounts, favourites, status_tags, statuses, tags
from townsquare.store.tables_moderation import status_moderation


def _aware(when: datetime, like: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=like.tzinfo)


async def established_accounts(conn: AsyncConnection, account_ids: set[int],
                               at: datetime) -> set[int]:
    """The published rule (integrity/rules.py): old enough, and enough posts before `at`."""
    if not account_ids:
        return set()
    ids = list(account_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        old = (await conn.execute(select(accounts.c.id).where(
            accounts.c.id.in_(chunk),
            accounts.c.created_at <= at - rules.ESTABLISHED_MIN_AGE))).scalars().all()
        if not old:
            continue
        counts = await conn.execute(
            select(statuses.c.account_id, func.count()).where(
                statuses.c.account_id.in_(old), statuses.c.created_at < at,
                statuses.c.reblog_of_id.is_(None)).group_by(statuses.c.account_id))
        out |= {a for a, n in counts if n >= rules.ESTABLISHED_MIN_POSTS}
    return out


async def tag_trends(conn: AsyncConnection, now: datetime) -> tuple[list[TrendScore],
                                                                     dict[int, str]]:
    since = now - rules.TREND_WINDOW
    rows = (await conn.execute(
        select(status_tags.c.tag_id, statuses.c.account_id, statuses.c.created_at)
        .join(statuses, statuses.c.id == status_tags.c.status_id)
        .outerjoin(status_moderation, status_moderation.c.status_id == statuses.c.id)
        .where(statuses.c.created_at >= since, statuses.c.visibility == "public",
               func.coalesce(status_moderation.c.removed, False).is_(False)))).all()
    scored = await _rank(conn, [(r.tag_id, r.account_id, _aware(r.created_at, now))
                                for r in rows], now)
    names = dict((await conn.execute(select(tags.c.id, tags.c.display_name).where(
        tags.c.id.in_([int(str(s.key)) for s in scored] or [0])))).all())
    return scored, names


async def status_trends(conn: AsyncConnection, now: datetime) -> list[TrendScore]:
    """Posts by distinct established accounts reposting or liking them (campaigns once)."""
    since = now - rules.TREND_WINDOW
    public = (statuses.c.visibility == "public")
    reblog = statuses.alias("reblog")
    rows = list(await conn.execute(
        select(reblog.c.reblog_of_id, reblog.c.account_id, reblog.c.created_at)
        .join(statuses, statuses.c.id == reblog.c.reblog_of_id)
        .where(reblog.c.created_at >= since, public)))
    rows += list(await conn.execute(
        select(favourites.c.status_id, favourites.c.account_id, favourites.c.created_at)
        .join(statuses, statuses.c.id == favourites.c.status_id)
        .where(favourites.c.created_at >= since, public)))
    return await _rank(conn, [(s, a, _aware(w, now)) for s, a, w in rows], now)


async def _rank(conn: AsyncConnection, rows: list[tuple[Hashable, int, datetime]],
                now: datetime) -> list[TrendScore]:
    actors = {a for _, a, _ in rows}
    established = await established_accounts(conn, actors, now)
    return rank(rows, now, established, await campaign_of(conn, established))


def why(score: TrendScore) -> str:
    parts = [f"{score.voices} distinct voices (established accounts, a campaign counting once) "
             f"in the last {int(rules.TREND_WINDOW / timedelta(hours=1))} hours",
             f"{score.uses} uses by {score.accounts} accounts in all"]
    if score.new_accounts:
        parts.append(f"{score.new_accounts} accounts not counted because they are not "
                     f"established yet")
    if score.campaigns:
        parts.append(f"{sum(score.campaigns.values())} accounts from {len(score.campaigns)} "
                     f"detected campaign(s) counted as {len(score.campaigns)} voice(s)")
    return "; ".join(parts) + "."

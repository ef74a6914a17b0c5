"""Reading the day's actions out of the database for detection, and who is in a campaign.

`campaign_of` is what rankings call (trends here, the open algorithm's candidates): a
campaign's reposts and likes count once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.integrity import minhash
from townsquare.integrity.coordination import FAVOURITE, REBLOG, TAG, TEXT, VOTE, Actions
from townsquare.store.tables import favourites, poll_votes, status_tags, statuses
from townsquare.store.tables_integrity import integrity_campaign_members, integrity_campaigns


async def campaign_of(conn: AsyncConnection, account_ids: Iterable[int]) -> dict[int, int]:
    """account id -> id of the active campaign it belongs to (accounts in none are left out)."""
    wanted = list(set(account_ids))
    out: dict[int, int] = {}
    for start in range(0, len(wanted), 5000):
        rows = await conn.execute(
            select(integrity_campaign_members.c.account_id,
                   integrity_campaign_members.c.campaign_id)
            .join(integrity_campaigns,
                  integrity_campaigns.c.id == integrity_campaign_members.c.campaign_id)
            .where(integrity_campaigns.c.active.is_(True),
                   integrity_campaign_members.c.account_id.in_(wanted[start:start + 5000])))
        out.update({r.account_id: r.campaign_id for r in rows})
    return out


async def all_campaign_members(conn: AsyncConnection) -> dict[int, int]:
    rows = await conn.execute(
        select(integrity_campaign_members.c.account_id, integrity_campaign_members.c.campaign_id)
        .join(integrity_campaigns,
              integrity_campaigns.c.id == integrity_campaign_members.c.campaign_id)
        .where(integrity_campaigns.c.active.is_(True)))
    return {r.account_id: r.campaign_id for r in rows}


@dataclass
class Window:
    actions: Actions
    # Which row produced each action, for the evidence: (kind, target) -> status ids
    post_ids: np.ndarray  # status id per TEXT/TAG action (-1 for others)
    posts_account: np.ndarray
    posts_ts: np.ndarray
    posts_app: np.ndarray
    bots: set[int]


def _dense(keys: list[tuple[int, int]]) -> np.ndarray:
    """One int64 per distinct key (snowflake ids leave no room to pack two in one)."""
    index: dict[tuple[int, int], int] = {}
    return np.array([index.setdefault(k, len(index)) for k in keys], np.int64)


def _secs(when: datetime, origin: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=origin.tzinfo)
    return (when - origin).total_seconds()


async def load_window(conn: AsyncConnection, start: datetime, end: datetime) -> Window:
    """Every public action between start and end, as detection columns."""
    from townsquare.store.tables import accounts

    parts: list[Actions] = []
    post_ids: list[np.ndarray] = []
    rows = (await conn.execute(
        select(statuses.c.id, statuses.c.account_id, statuses.c.text, statuses.c.created_at,
               statuses.c.application_id, statuses.c.reblog_of_id)
        .where(statuses.c.created_at >= start, statuses.c.created_at < end,
               statuses.c.visibility.in_(("public", "unlisted"))))).all()
    originals = [r for r in rows if r.reblog_of_id is None]
    reblogs = [r for r in rows if r.reblog_of_id is not None]
    eligible, sig = minhash.signatures([r.text for r in originals])
    labels = minhash.clusters(sig)
    picked = [originals[int(i)] for i in eligible]
    parts.append(Actions(np.array([r.account_id for r in picked], np.int64),
                         np.full(len(picked), TEXT, np.int8), labels,
                         np.array([_secs(r.created_at, start) for r in picked])))
    post_ids.append(np.array([r.id for r in picked], np.int64))
    parts.append(Actions(np.array([r.account_id for r in reblogs], np.int64),
                         np.full(len(reblogs), REBLOG, np.int8),
                         np.array([r.reblog_of_id for r in reblogs], np.int64),
                         np.array([_secs(r.created_at, start) for r in reblogs])))
    post_ids.append(np.array([r.id for r in reblogs], np.int64))
    favs = (await conn.execute(
        select(favourites.c.account_id, favourites.c.status_id, favourites.c.created_at)
        .where(favourites.c.created_at >= start, favourites.c.created_at < end))).all()
    parts.append(Actions(np.array([r.account_id for r in favs], np.int64),
                         np.full(len(favs), FAVOURITE, np.int8),
                         np.array([r.status_id for r in favs], np.int64),
                         np.array([_secs(r.created_at, start) for r in favs])))
    post_ids.append(np.full(len(favs), -1, np.int64))
    tags = (await conn.execute(
        select(statuses.c.id, statuses.c.account_id, status_tags.c.tag_id, statuses.c.created_at)
        .join(status_tags, status_tags.c.status_id == statuses.c.id)
        .where(statuses.c.created_at >= start, statuses.c.created_at < end,
               statuses.c.visibility.in_(("public", "unlisted"))))).all()
    parts.append(Actions(np.array([r.account_id for r in tags], np.int64),
                         np.full(len(tags), TAG, np.int8),
                         np.array([r.tag_id for r in tags], np.int64),
                         np.array([_secs(r.created_at, start) for r in tags])))
    post_ids.append(np.array([r.id for r in tags], np.int64))
    votes = (await conn.execute(
        select(poll_votes.c.account_id, poll_votes.c.poll_id, poll_votes.c.choice,
               poll_votes.c.created_at)
        .where(and_(poll_votes.c.created_at >= start, poll_votes.c.created_at < end)))).all()
    parts.append(Actions(np.array([r.account_id for r in votes], np.int64),
                         np.full(len(votes), VOTE, np.int8),
                         _dense([(r.poll_id, r.choice) for r in votes]),
                         np.array([_secs(r.created_at, start) for r in votes])))
    post_ids.append(np.full(len(votes), -1, np.int64))
    bots = set((await conn.execute(select(accounts.c.id).where(accounts.c.bot.is_(True))))
               .scalars())
    nonempty = [p for p in post_ids if len(p)]
    return Window(Actions.concat(parts),
                  np.concatenate(nonempty) if nonempty else np.zeros(0, np.int64),
                  np.array([r.account_id for r in originals], np.int64),
                  np.array([_secs(r.created_at, start) for r in originals]),
                  np.array([r.application_id if r.application_id is not None else -1
                            for r in originals], np.int64),
                  bots)

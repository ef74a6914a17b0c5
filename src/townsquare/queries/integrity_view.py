"""Integrity read paths for the web pages: detected campaigns with their evidence, a poll's
honest result, and the state-affiliated media list. The same reads as api/integrity.py,
returned as plain data (the caller checks that the viewer may see a poll's post)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.config import Settings
from townsquare.integrity import polls as honest
from townsquare.integrity.campaigns import campaign_of
from townsquare.model.clock import utc
from townsquare.moderation.policy import PLATFORM_LABELER
from townsquare.queries.accounts import load_accounts
from townsquare.queries.trends import established_accounts
from townsquare.store.tables import poll_options, poll_votes, polls
from townsquare.store.tables_integrity import (
    integrity_campaign_members,
    integrity_campaigns,
    integrity_queue,
)
from townsquare.store.tables_moderation import labels


async def campaigns(conn: AsyncConnection, *, include_inactive: bool = False,
                    limit: int = 100) -> list[Any]:
    q = select(integrity_campaigns).order_by(integrity_campaigns.c.score.desc(),
                                             integrity_campaigns.c.id.desc())
    if not include_inactive:
        q = q.where(integrity_campaigns.c.active.is_(True))
    return list((await conn.execute(q.limit(limit))).all())


async def campaign(conn: AsyncConnection, settings: Settings,
                   campaign_id: int) -> tuple[Any, list[Any]] | None:
    """The campaign's row and its members (Account entities), or None."""
    row = (await conn.execute(select(integrity_campaigns).where(
        integrity_campaigns.c.id == campaign_id))).first()
    if row is None:
        return None
    m = integrity_campaign_members
    member_ids = list((await conn.execute(select(m.c.account_id).where(
        m.c.campaign_id == campaign_id))).scalars())
    found = await load_accounts(conn, settings, member_ids)
    return row, [found[a] for a in member_ids if a in found]


@dataclass(frozen=True)
class PollIntegrity:
    titles: list[str]
    result: honest.HonestResult
    hidden: bool  # totals hidden until the poll closes


async def poll_integrity(conn: AsyncConnection, poll_id: int, viewer_id: int | None,
                         author_id: int, now: Any) -> PollIntegrity | None:
    poll = (await conn.execute(select(polls).where(polls.c.id == poll_id))).first()
    if poll is None:
        return None
    titles = list((await conn.execute(select(poll_options.c.title).where(
        poll_options.c.poll_id == poll_id).order_by(poll_options.c.position))).scalars())
    votes = [honest.Vote(v.account_id, v.choice, utc(v.created_at)) for v in (
        await conn.execute(select(poll_votes).where(poll_votes.c.poll_id == poll_id)))]
    voters = {v.account_id for v in votes}
    established = await established_accounts(conn, voters, utc(poll.created_at))
    groups = await campaign_of(conn, voters)
    hidden = bool(poll.hide_totals) and utc(poll.expires_at) > now and viewer_id != author_id
    return PollIntegrity(titles, honest.honest_result(len(titles), votes, established, groups),
                         hidden)


async def state_affiliated(conn: AsyncConnection, settings: Settings) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(labels.c.account_id, labels.c.decision_id,
                                      labels.c.created_at).where(
        labels.c.value == "state-affiliated-media", labels.c.labeler_id == PLATFORM_LABELER,
        labels.c.status_id.is_(None), labels.c.removed_at.is_(None),
        labels.c.account_id.is_not(None)).order_by(labels.c.created_at))).all()
    found = await load_accounts(conn, settings, [r.account_id for r in rows])
    return [{"account": found[r.account_id], "decision_id": r.decision_id,
             "since": r.created_at} for r in rows if r.account_id in found]


async def automation_queue(conn: AsyncConnection, settings: Settings, *, resolved: bool,
                           limit: int) -> tuple[list[Any], dict[int, Any]]:
    """Queued automation suspects (newest first) and their accounts."""
    q = select(integrity_queue).order_by(integrity_queue.c.id.desc())
    q = q.where(integrity_queue.c.resolved_at.is_not(None) if resolved
                else integrity_queue.c.resolved_at.is_(None))
    rows = list((await conn.execute(q.limit(limit))).all())
    return rows, await load_accounts(conn, settings, [r.account_id for r in rows])

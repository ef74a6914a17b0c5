"""The integrity job's writes: campaigns with their evidence, `coordinated` labels through the
moderation decisions (automation may only label), and the automation queue for moderators.

Nothing here removes or restricts anything: coordination is labelled and shown, suspected
undeclared automation is queued for a person to look at.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import insert, select, update

from townsquare.actions.errors import ActionError, NotFound
from townsquare.actions.moderation import DecisionRequest, decide, require_moderator
from townsquare.context import Context
from townsquare.integrity import automation, coordination
from townsquare.integrity.campaigns import load_window
from townsquare.integrity.coordination import KINDS, TAG, TEXT
from townsquare.store.tables_integrity import (
    integrity_campaign_members,
    integrity_campaigns,
    integrity_queue,
)
from townsquare.store.tables_moderation import labels

log = logging.getLogger("townsquare.integrity")
MAX_LABELLED_POSTS = 50  # per member per run: the evidence page lists the rest
MAX_EVIDENCE_ACTIONS = 200


@dataclass
class RunResult:
    campaigns: int
    members: int
    labelled_posts: int
    queued: int
    seconds: float


async def run_detection(ctx: Context, hours: float = 24.0) -> RunResult:
    """Detect campaigns and automation over the last `hours` (the scheduled job)."""
    import time

    t0 = time.perf_counter()
    end = ctx.clock.now()
    start = end - timedelta(hours=hours)
    async with ctx.db.read() as conn:
        window = await load_window(conn, start, end)
    # CPU-bound (seconds on a big square): on a thread, so the event loop goes on serving
    # whatever else this process does meanwhile.
    found = await asyncio.to_thread(coordination.detect, window.actions)
    signals = await asyncio.to_thread(automation.analyse, window.posts_account,
                                      window.posts_ts, window.posts_app, window.bots)
    acts = window.actions
    campaign_rows = []
    for c in found:
        members = set(c.members)
        mask = np.isin(acts.account, list(members))
        shared: list[dict[str, object]] = []
        idx = np.flatnonzero(mask)
        for i in idx[np.argsort(acts.ts[idx])][:MAX_EVIDENCE_ACTIONS]:
            post = int(window.post_ids[i])
            shared.append({"account_id": str(int(acts.account[i])), "kind": KINDS[acts.kind[i]],
                           "target": str(int(acts.target[i])),
                           "status_id": str(post) if post >= 0 else None,
                           "at": (start + timedelta(seconds=float(acts.ts[i]))).isoformat()})
        label_posts = {int(window.post_ids[i]) for i in idx
                       if acts.kind[i] in (TEXT, TAG) and window.post_ids[i] >= 0}
        campaign_rows.append((c, shared, label_posts))
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        await tx.execute(update(integrity_campaigns).values(active=False))
        ids = []
        for c, shared, _ in campaign_rows:
            cid = ctx.ids.next()
            ids.append(cid)
            await tx.execute(insert(integrity_campaigns).values(
                id=cid, size=len(c.members), score=c.score, kinds=c.kinds(),
                evidence={"links": [{"a": str(lk.a), "b": str(lk.b), "kind": KINDS[lk.kind],
                                     "co_actions": lk.observed,
                                     "expected_by_chance": round(lk.expected, 4),
                                     "p_value": lk.p_value} for lk in c.links[:500]],
                          "shared_actions": shared},
                active=True, window_start=start, window_end=end, detected_at=now))
            await tx.execute(insert(integrity_campaign_members), [
                {"campaign_id": cid, "account_id": a} for a in c.members])
        open_queue = set((await tx.execute(select(integrity_queue.c.account_id).where(
            integrity_queue.c.resolved_at.is_(None)))).scalars())
        queued = 0
        for s in signals:
            if not s.queued or s.account_id in open_queue:
                continue
            queued += 1
            await tx.execute(insert(integrity_queue).values(
                id=ctx.ids.next(), account_id=s.account_id,
                signals={"posts": s.posts, "gap_cv": s.cv, "hours_active": s.hours_active,
                         "clockwork": s.clockwork, "around_the_clock": s.around_the_clock,
                         "shared_client": s.shared_client, "client_accounts": s.client_accounts},
                reasons=s.reasons, created_at=now))
    labelled = 0
    for (c, _, posts), cid in zip(campaign_rows, ids, strict=True):
        labelled += await _label(ctx, cid, c, posts)
    seconds = time.perf_counter() - t0
    log.info("integrity: %d campaigns, %d queued in %.1fs", len(found), queued, seconds)
    return RunResult(len(found), sum(len(c.members) for c in found), labelled, queued, seconds)


async def _label(ctx: Context, campaign_id: int, c: coordination.Campaign,
                 posts: set[int]) -> int:
    """Label the members and their coordinated posts `coordinated` (once each)."""
    async with ctx.db.read() as conn:
        done_posts = set((await conn.execute(select(labels.c.status_id).where(
            labels.c.value == "coordinated", labels.c.status_id.in_(posts or {0})))).scalars())
        done_accounts = set((await conn.execute(select(labels.c.account_id).where(
            labels.c.value == "coordinated", labels.c.status_id.is_(None),
            labels.c.account_id.in_(c.members)))).scalars())
    facts = (f"Detected as part of coordinated campaign {campaign_id}: {len(c.members)} "
             f"accounts acting together ({', '.join(f'{k}: {v}' for k, v in c.kinds().items())} "
             f"co-actions, far above chance). Evidence: "
             f"{ctx.url(f'/api/v1/townsquare/campaigns/{campaign_id}')}")
    count = 0
    for account_id in c.members:
        if account_id not in done_accounts:
            await _decide(ctx, DecisionRequest(
                kind="label_account", label="coordinated", account_id=account_id, facts=facts,
                ground_type="rule", ground_reference="3", source="automated",
                automated_detection=True))
    per_member: dict[int, int] = {}
    async with ctx.db.read() as conn:
        from townsquare.store.tables import statuses

        owners = dict((await conn.execute(select(statuses.c.id, statuses.c.account_id).where(
            statuses.c.id.in_(posts or {0})))).all())
    for status_id in sorted(posts - done_posts):
        owner = owners.get(status_id)
        if owner is None or per_member.get(owner, 0) >= MAX_LABELLED_POSTS:
            continue
        per_member[owner] = per_member.get(owner, 0) + 1
        if await _decide(ctx, DecisionRequest(
                kind="label", label="coordinated", status_id=status_id, facts=facts,
                ground_type="rule", ground_reference="3", source="automated",
                automated_detection=True)):
            count += 1
    return count


async def _decide(ctx: Context, req: DecisionRequest) -> bool:
    try:
        await decide(ctx, None, req)
        return True
    except NotFound:  # deleted meanwhile
        return False
    except ActionError:
        log.exception("integrity label refused")
        return False


async def resolve_queue_entry(ctx: Context, moderator_id: int, entry_id: int) -> None:
    """A moderator has looked at a queued account (any action goes through moderation)."""
    async with ctx.db.write() as tx:
        await require_moderator(tx, moderator_id)
        done = await tx.execute(update(integrity_queue).where(
            integrity_queue.c.id == entry_id, integrity_queue.c.resolved_at.is_(None))
            .values(resolved_at=ctx.clock.now()))
        if done.rowcount == 0:
            raise NotFound("Queue entry")

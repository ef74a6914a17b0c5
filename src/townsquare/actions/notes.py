"""Community notes: write a note on a post, rate a note, rescore every note.

Rules enforced here (docs/notes.md, "Notes in the app"):
- a note: a published classification, at least one of that classification's published reason
  checkboxes, a summary of at most NOTE_MAX_CHARS characters (links count 23, as in posts)
  holding at least one http(s) source link; only on a post the writer can see (404 otherwise),
  never on one's own post (403), one note per writer per post (422);
- a rating: HELPFUL | SOMEWHAT_HELPFUL | NOT_HELPFUL with the published tags of that side
  (somewhat helpful may carry both sides' tags, as the published form allows); one per rater
  per note, changing it replaces it (latest wins); never on one's own note (403);
- rescoring runs the published core scorer (townsquare.notes.score) on every note and rating,
  stores each note's noteStatusHistory row and logs every status change, so the sticky rule
  and locking carry over between runs.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, union, update

from townsquare.actions.errors import Forbidden, Invalid, NotFound
from townsquare.actions.statuses import visible_status
from townsquare.context import Context
from townsquare.model.text import count_chars, parse, render
from townsquare.notes import app_bridge as bridge
from townsquare.notes import constants as c
from townsquare.notes.scorer import score
from townsquare.store.tables_notes import (
    community_notes,
    note_contributors,
    note_ratings,
    note_scoring_runs,
    note_status,
    note_status_changes,
)
from townsquare.store.upsert import insert_ignore

NOTE_MAX_CHARS = 280
RESCORE_EVERY_SECONDS = 600  # the schedule
RESCORE_AFTER_RATINGS = 50  # a burst: this many new or changed ratings since the last run ...
RESCORE_DEBOUNCE_SECONDS = 60  # ... starts a run, at most once a minute (the schedule catches up)
SEED = 0  # the factor initialisation's seed: runs are exact replays of the database


@dataclass(frozen=True)
class NewNote:
    status_id: int
    classification: str
    reasons: list[str]
    summary: str


@dataclass(frozen=True)
class NewRating:
    helpfulness: str
    tags: list[str] = field(default_factory=list)


def validate_note(new: NewNote) -> tuple[int, str]:
    """(reasons bitmask, safe HTML) or Invalid."""
    if new.classification not in bridge.CLASSIFICATIONS:
        raise Invalid("Validation failed: classification must be one of "
                      + ", ".join(bridge.CLASSIFICATIONS))
    allowed = bridge.reasons_for(new.classification)
    wrong = sorted(set(new.reasons) - set(allowed))
    if wrong:
        raise Invalid(f"Validation failed: reasons {', '.join(wrong)} do not go with "
                      f"{new.classification} (allowed: {', '.join(allowed)})")
    if not new.reasons:
        raise Invalid("Validation failed: pick at least one reason")
    text = new.summary.strip()
    if not text:
        raise Invalid("Validation failed: Summary can't be blank")
    length = count_chars(text)
    if length > NOTE_MAX_CHARS:
        raise Invalid(f"Validation failed: Summary character limit of {NOTE_MAX_CHARS} "
                      f"exceeded ({length})")
    if not parse(text).links:
        raise Invalid("Validation failed: a note needs at least one source link (http or https)")
    # Mentions in a note are not links to anyone (a note notifies nobody).
    return bridge.mask_of(new.reasons, allowed), render(text, {}, "/tags/{tag}")


async def write_note(ctx: Context, writer_id: int, new: NewNote) -> int:
    reasons, content = validate_note(new)
    async with ctx.db.write() as tx:
        post = await visible_status(tx, new.status_id, writer_id)
        if post.reblog_of_id is not None:
            raise Invalid("Validation failed: write the note on the original post, not a repost")
        if post.account_id == writer_id:
            raise Forbidden("You cannot write a note on your own post")
        note_id = ctx.ids.next()
        inserted = await insert_ignore(tx, community_notes, [{
            "id": note_id, "status_id": post.id, "account_id": writer_id,
            "classification": new.classification, "reasons": reasons,
            "summary": new.summary.strip(), "content": content, "created_at": ctx.clock.now(),
        }], ["status_id", "account_id"])
        if not inserted:
            raise Invalid("Validation failed: you already wrote a note on this post")
    return note_id


def validate_rating(new: NewRating) -> tuple[int, int]:
    """(helpful tags bitmask, not-helpful tags bitmask) or Invalid."""
    if new.helpfulness not in bridge.LEVELS:
        raise Invalid("Validation failed: helpfulness must be one of " + ", ".join(bridge.LEVELS))
    allowed: tuple[str, ...] = ()
    if new.helpfulness != c.NOT_HELPFUL:
        allowed += c.HELPFUL_TAGS
    if new.helpfulness != c.HELPFUL:
        allowed += c.NOT_HELPFUL_TAGS
    wrong = sorted(set(new.tags) - set(allowed))
    if wrong:
        raise Invalid(f"Validation failed: tags {', '.join(wrong)} do not go with "
                      f"{new.helpfulness}")
    helpful = [t for t in new.tags if t in c.HELPFUL_TAGS]
    not_helpful = [t for t in new.tags if t in c.NOT_HELPFUL_TAGS]
    return (bridge.mask_of(helpful, c.HELPFUL_TAGS),
            bridge.mask_of(not_helpful, c.NOT_HELPFUL_TAGS))


async def rate_note(ctx: Context, rater_id: int, note_id: int, new: NewRating) -> None:
    helpful_tags, not_helpful_tags = validate_rating(new)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        note = (await tx.execute(select(community_notes.c.status_id, community_notes.c.account_id)
                                 .where(community_notes.c.id == note_id))).first()
        if note is None:
            raise NotFound("Note")
        try:
            await visible_status(tx, note.status_id, rater_id)
        except NotFound:
            raise NotFound("Note") from None
        if note.account_id == rater_id:
            raise Forbidden("You cannot rate your own note")
        values = {"helpfulness": new.helpfulness, "helpful_tags": helpful_tags,
                  "not_helpful_tags": not_helpful_tags, "version": ctx.ids.next(),
                  "updated_at": now}
        inserted = await insert_ignore(tx, note_ratings, [{
            "id": ctx.ids.next(), "note_id": note_id, "account_id": rater_id,
            "created_at": now, **values}], ["note_id", "account_id"])
        if not inserted:  # a changed rating replaces the earlier one
            await tx.execute(update(note_ratings).where(
                note_ratings.c.note_id == note_id, note_ratings.c.account_id == rater_id,
            ).values(**values))
        tx.after_commit(lambda: rescore_if_burst(ctx))


# --- rescoring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RescoreReport:
    run_id: int
    notes: int
    ratings: int
    helpful: int
    not_helpful: int
    changed: int
    seconds: float


def _state(ctx: Context) -> dict[str, Any]:
    """Per-process rescoring state: a lock (runs never overlap) and the debounce clock."""
    state: dict[str, Any] = ctx.extras.setdefault("notes.rescore", {})
    state.setdefault("lock", asyncio.Lock())
    state.setdefault("queued", False)
    state.setdefault("last_burst", None)
    return state


async def pending_ratings(ctx: Context) -> int:
    """Ratings written or changed since the last run's watermark (one query)."""
    last = select(func.coalesce(func.max(note_scoring_runs.c.watermark), 0)).scalar_subquery()
    async with ctx.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(note_ratings)
                                       .where(note_ratings.c.version > last))).scalar_one())


async def rescore_if_burst(ctx: Context) -> None:
    """After a rating: start a run in the background when a burst of ratings is waiting."""
    state = _state(ctx)
    now = ctx.clock.now().timestamp()
    if state["queued"] or (state["last_burst"] is not None
                           and now - state["last_burst"] < RESCORE_DEBOUNCE_SECONDS):
        return
    if await pending_ratings(ctx) < RESCORE_AFTER_RATINGS:
        return
    state["queued"], state["last_burst"] = True, now

    async def run() -> None:
        try:
            await rescore(ctx, trigger="ratings")
        finally:
            state["queued"] = False

    ctx.jobs.enqueue(run)


async def rescore(ctx: Context, *, trigger: str = "manual") -> RescoreReport:
    """Score every note from every rating and store the statuses (deterministic: the clock is
    ctx.clock and the seed is fixed)."""
    async with _state(ctx)["lock"]:
        return await _rescore(ctx, trigger)


async def _rescore(ctx: Context, trigger: str) -> RescoreReport:
    started = time.perf_counter()
    now = ctx.clock.now()
    now_ms = int(now.timestamp() * 1000)
    cn, r = community_notes, note_ratings
    async with ctx.db.read() as conn:
        # Ratings up to the watermark: one changed after this is counted as pending and
        # taken by the next run.
        watermark = int((await conn.execute(
            select(func.coalesce(func.max(r.c.version), 0)))).scalar_one())
        note_rows = (await conn.execute(
            select(cn.c.id, cn.c.account_id, cn.c.classification).order_by(cn.c.id))).all()
        rating_rows = (await conn.execute(
            select(r.c.note_id, r.c.account_id, r.c.version, bridge.HELPFUL_NUM,
                   r.c.helpful_tags, r.c.not_helpful_tags)
            .where(r.c.version <= watermark))).all()
        history_rows = (await conn.execute(
            select(note_status.c.note_id, cn.c.account_id,
                   *(note_status.c[name] for name in bridge.HISTORY_COLUMNS[2:]))
            .join(cn, cn.c.id == note_status.c.note_id))).all()
    notes = bridge.notes_frame(note_rows)
    ratings = bridge.ratings_frame(rating_rows)
    previous = bridge.history_frame(history_rows)
    result = await asyncio.to_thread(
        score, notes, ratings, previous, now_millis=now_ms, rng=np.random.default_rng(SEED))
    final = result.notes.final_status
    helpful = int((final == c.STATUS_CRH).sum())
    not_helpful = int((final == c.STATUS_CRNH).sum())
    run_id = ctx.ids.next()
    before = dict(zip(previous.note_id.tolist(),
                      bridge.status_names(previous.current_status), strict=True))
    changed = 0
    async with ctx.db.write() as tx:
        # Notes deleted (with their post) since the read are skipped.
        alive = dict((await tx.execute(select(cn.c.id, cn.c.status_id))).all())
        rows = bridge.status_rows(result, alive, run_id)
        decided = {row["note_id"]: row["current_decided_by"] for row in rows}
        changes = [{"id": ctx.ids.next(), "note_id": row["note_id"],
                    "status": row["current_status"], "previous_status": before.get(row["note_id"]),
                    "decided_by": decided[row["note_id"]], "run_id": run_id, "created_at": now}
                   for row in rows if before.get(row["note_id"]) != row["current_status"]]
        changed = len(changes)
        await tx.execute(delete(note_status))
        if rows:
            await tx.execute(insert(note_status), rows)
        if changes:
            await tx.execute(insert(note_status_changes), changes)
        # Contributors still here (their notes and ratings go with a deleted account).
        existing = set((await tx.execute(union(select(r.c.account_id),
                                               select(cn.c.account_id)))).scalars())
        contributors = bridge.contributor_rows(result.raters, run_id, existing)
        await tx.execute(delete(note_contributors))
        if contributors:
            await tx.execute(insert(note_contributors), contributors)
        seconds = time.perf_counter() - started
        await tx.execute(insert(note_scoring_runs).values(
            id=run_id, trigger=trigger, now_ms=now_ms, watermark=watermark,
            notes_count=len(notes), ratings_count=len(ratings), helpful_count=helpful,
            not_helpful_count=not_helpful, seconds=seconds, created_at=now))
    return RescoreReport(run_id, len(notes), len(ratings), helpful, not_helpful, changed,
                         seconds)


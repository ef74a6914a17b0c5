"""Community notes as the API shows them: a post's notes, one note with its status history,
a person's record as writer and rater, and the set of posts with a helpful note (the ranking
reads it).  Writers and raters are never shown to others; a viewer only learns which notes
are their own and what they rated.  Fixed query counts: a list of notes costs three queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.notes import app_bridge as bridge
from townsquare.notes import constants as c
from townsquare.store.tables_notes import (
    community_notes,
    note_contributors,
    note_ratings,
    note_status,
    note_status_changes,
)

# The published rating form's wording for each tag (shown next to a helpful note).
TAG_LABELS: dict[str, str] = {
    "helpfulOther": "Other",
    "helpfulInformative": "Informative",
    "helpfulClear": "Easy to understand",
    "helpfulEmpathetic": "Empathetic",
    "helpfulGoodSources": "Cites high-quality sources",
    "helpfulUniqueContext": "Offers unique information",
    "helpfulAddressesClaim": "Directly addresses the post's claim",
    "helpfulImportantContext": "Provides important context",
    "helpfulUnbiasedLanguage": "Neutral or unbiased language",
    "notHelpfulOther": "Other",
    "notHelpfulIncorrect": "Incorrect information",
    "notHelpfulSourcesMissingOrUnreliable": "Sources not included or unreliable",
    "notHelpfulOpinionSpeculationOrBias": "Opinion, speculation or bias",
    "notHelpfulMissingKeyPoints": "Misses key points or irrelevant",
    "notHelpfulOutdated": "Outdated",
    "notHelpfulHardToUnderstand": "Hard to understand",
    "notHelpfulArgumentativeOrBiased": "Argumentative or biased language",
    "notHelpfulOffTopic": "Off topic",
    "notHelpfulSpamHarassmentOrAbuse": "Spam, harassment, or abuse",
    "notHelpfulIrrelevantSources": "Sources do not support note",
    "notHelpfulOpinionSpeculation": "Opinion or speculation",
    "notHelpfulNoteNotNeeded": "Post is not misleading",
}
REASON_LABELS: dict[str, str] = {
    "misleadingOther": "Other",
    "misleadingFactualError": "It contains a factual error",
    "misleadingManipulatedMedia": "It contains a digitally altered photo or video",
    "misleadingOutdatedInformation": "It contains outdated information that may be misleading",
    "misleadingMissingImportantContext": "It is a misrepresentation or missing important context",
    "misleadingUnverifiedClaimAsFact": "It presents an unverified claim as a fact",
    "misleadingSatire": "It is a joke or satire that might be misinterpreted as a fact",
    "notMisleadingOther": "Other",
    "notMisleadingFactuallyCorrect": "It expresses a factually correct claim",
    "notMisleadingOutdatedButNotWhenWritten":
        "This post was correct when written, but is out of date now",
    "notMisleadingClearlySatire": "It is clearly satirical/joking",
    "notMisleadingPersonalOpinion": "It expresses a personal opinion",
}


class Tag(msgspec.Struct, kw_only=True):
    tag: str  # the published column name
    label: str


class NoteRating(msgspec.Struct, kw_only=True):
    helpfulness: str
    tags: list[str]
    rated_at: str


class NoteStatusChange(msgspec.Struct, kw_only=True):
    status: str
    previous_status: str | None
    decided_by: str | None
    at: str


class Note(msgspec.Struct, kw_only=True):
    id: str
    status_id: str  # the post the note is on
    classification: str
    reasons: list[str]  # the published checkbox names
    summary: str  # as written
    content: str  # safe HTML
    created_at: str
    status: str  # the note's rating status (NEEDS_MORE_RATINGS until first scored)
    status_since: str | None
    top_tags: list[Tag]  # the two reasons raters gave most (helpful or not-helpful notes only)
    ratings_count: int
    own: bool | None  # the viewer wrote it (None: anonymous viewer)
    your_rating: NoteRating | None
    scoring: dict[str, Any]  # the published noteStatusHistory fields and the scores
    url: str
    history: list[NoteStatusChange] | None = None  # only on GET /notes/:id


def _tags(row: Any) -> list[Tag]:
    if row.current_status not in (c.CRH, c.CRNH):
        return []
    return [Tag(tag=t, label=TAG_LABELS.get(t, t)) for t in (row.first_tag, row.second_tag) if t]


def _ms_iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(ms / 1000, UTC))


def _select_notes() -> Any:
    cn, ns = community_notes, note_status
    return (select(cn, ns.c.current_status, ns.c.current_status_ms, ns.c.current_decided_by,
                   ns.c.first_non_nmr_status, ns.c.first_non_nmr_ms,
                   ns.c.most_recent_non_nmr_status, ns.c.most_recent_non_nmr_ms,
                   ns.c.locked_status, ns.c.lock_ms, ns.c.intercept, ns.c.factor,
                   ns.c.num_ratings, ns.c.first_tag, ns.c.second_tag)
            .select_from(cn.outerjoin(ns, ns.c.note_id == cn.c.id)))


async def _viewer_ratings(conn: AsyncConnection, viewer_id: int | None,
                          note_ids: Iterable[int]) -> dict[int, NoteRating]:
    ids = list(note_ids)
    if viewer_id is None or not ids:
        return {}
    r = note_ratings
    rows = (await conn.execute(select(r).where(r.c.account_id == viewer_id,
                                               r.c.note_id.in_(ids)))).all()
    return {row.note_id: rating_entity(row) for row in rows}


def rating_entity(row: Any) -> NoteRating:
    return NoteRating(
        helpfulness=row.helpfulness,
        tags=bridge.names_of(row.helpful_tags, c.HELPFUL_TAGS)
        + bridge.names_of(row.not_helpful_tags, c.NOT_HELPFUL_TAGS),
        rated_at=iso(utc(row.updated_at)))


def note_entity(ctx: Context, row: Any, viewer_id: int | None,
                ratings: dict[int, NoteRating]) -> Note:
    status = row.current_status or c.NMR
    return Note(
        id=str(row.id),
        status_id=str(row.status_id),
        classification=row.classification,
        reasons=bridge.names_of(row.reasons, bridge.reasons_for(row.classification)),
        summary=row.summary,
        content=row.content,
        created_at=iso(utc(row.created_at)),
        status=status,
        status_since=_ms_iso(row.current_status_ms),
        top_tags=_tags(row) if row.current_status else [],
        ratings_count=row.num_ratings or 0,
        own=None if viewer_id is None else row.account_id == viewer_id,
        your_rating=ratings.get(row.id),
        scoring={
            "scored": row.current_status is not None,
            "intercept": row.intercept,
            "factor": row.factor,
            "decided_by": row.current_decided_by,
            "first_non_nmr_status": row.first_non_nmr_status,
            "first_non_nmr_at": _ms_iso(row.first_non_nmr_ms),
            "most_recent_non_nmr_status": row.most_recent_non_nmr_status,
            "most_recent_non_nmr_at": _ms_iso(row.most_recent_non_nmr_ms),
            "locked_status": row.locked_status,
            "locked_at": _ms_iso(row.lock_ms),
        },
        url=ctx.url(f"/api/v1/townsquare/notes/{row.id}"),
    )


_ORDER = {c.CRH: 0, c.NMR: 1, None: 1, c.CRNH: 2}


async def notes_on_status(ctx: Context, conn: AsyncConnection, status_id: int,
                          viewer_id: int | None) -> list[Note]:
    """Every note on a post: helpful first, then those needing ratings, then not helpful;
    newest first within each.  The caller checks that the viewer may see the post."""
    rows = sorted((await conn.execute(
        _select_notes().where(community_notes.c.status_id == status_id)
        .order_by(community_notes.c.id.desc()))).all(),
        key=lambda row: _ORDER.get(row.current_status, 1))
    ratings = await _viewer_ratings(conn, viewer_id, (row.id for row in rows))
    return [note_entity(ctx, row, viewer_id, ratings) for row in rows]


async def note_row(conn: AsyncConnection, note_id: int) -> Any:
    return (await conn.execute(_select_notes().where(community_notes.c.id == note_id))).first()


async def note_with_history(ctx: Context, conn: AsyncConnection, row: Any,
                            viewer_id: int | None) -> Note:
    ratings = await _viewer_ratings(conn, viewer_id, [row.id])
    note = note_entity(ctx, row, viewer_id, ratings)
    ch = note_status_changes
    changes = (await conn.execute(select(ch).where(ch.c.note_id == row.id)
                                  .order_by(ch.c.id))).all()
    note.history = [NoteStatusChange(status=x.status, previous_status=x.previous_status,
                                     decided_by=x.decided_by, at=iso(utc(x.created_at)))
                    for x in changes]
    return note


def has_helpful_note(status_id: Any) -> Any:
    """SQL truth of "this post carries a note currently rated helpful", for use inside a
    larger statement (the ranked feeds' hydration, algorithm/candidates.py)."""
    ns = note_status
    return exists().where(ns.c.status_id == status_id, ns.c.current_status == c.CRH)


async def statuses_with_helpful_notes(conn: AsyncConnection, status_ids: Iterable[int]
                                      ) -> set[int]:
    """The posts among status_ids that carry a note currently rated helpful (one query)."""
    ids = list(status_ids)
    if not ids:
        return set()
    ns = note_status
    return set((await conn.execute(
        select(ns.c.status_id).where(ns.c.status_id.in_(ids), ns.c.current_status == c.CRH)
        .distinct())).scalars())


# --- one's own record --------------------------------------------------------------------------


class RatedNote(msgspec.Struct, kw_only=True):
    note_id: str
    status_id: str
    rating: NoteRating
    note_status: str
    agreed: bool | None  # None while the note needs more ratings


class Record(msgspec.Struct, kw_only=True):
    notes: list[Note]
    writer: dict[str, Any]
    ratings: list[RatedNote]
    rating_impact: dict[str, Any]


def _agreed(helpfulness: str, status: str) -> bool | None:
    """A rating agreed with the outcome: helpful on a helpful note, not helpful on a not-helpful
    one (the published raterAgreeRatio's count; somewhat helpful agrees with neither)."""
    if status == c.CRH:
        return helpfulness == c.HELPFUL
    if status == c.CRNH:
        return helpfulness == c.NOT_HELPFUL
    return None


async def record(ctx: Context, conn: AsyncConnection, account_id: int) -> Record:
    """Notes written (with statuses), ratings given and how often they agreed with the final
    statuses, and the scorer's helpfulness figures from the last run (four queries)."""
    written = (await conn.execute(_select_notes().where(community_notes.c.account_id
                                                        == account_id)
                                  .order_by(community_notes.c.id.desc()))).all()
    notes = [note_entity(ctx, row, account_id, {}) for row in written]
    r, cn, ns = note_ratings, community_notes, note_status
    given = (await conn.execute(
        select(r, cn.c.status_id, ns.c.current_status)
        .join(cn, cn.c.id == r.c.note_id).outerjoin(ns, ns.c.note_id == r.c.note_id)
        .where(r.c.account_id == account_id).order_by(r.c.version.desc()))).all()
    ratings = [RatedNote(note_id=str(x.note_id), status_id=str(x.status_id),
                         rating=rating_entity(x), note_status=x.current_status or c.NMR,
                         agreed=_agreed(x.helpfulness, x.current_status or c.NMR))
               for x in given]
    decided = [x.agreed for x in ratings if x.agreed is not None]
    scores = (await conn.execute(select(note_contributors).where(
        note_contributors.c.account_id == account_id))).first()
    counts = {s: sum(1 for n in notes if n.status == s) for s in (c.CRH, c.CRNH, c.NMR)}
    return Record(
        notes=notes,
        writer={"notes": len(notes), "currently_rated_helpful": counts[c.CRH],
                "currently_rated_not_helpful": counts[c.CRNH],
                "needs_more_ratings": counts[c.NMR]},
        ratings=ratings,
        rating_impact={
            "ratings": len(ratings),
            "on_decided_notes": len(decided),
            "agreed": sum(decided),
            "agree_ratio": round(sum(decided) / len(decided), 4) if decided else None,
            "computed": "ratings HELPFUL on notes now CURRENTLY_RATED_HELPFUL plus NOT_HELPFUL "
                        "on notes now CURRENTLY_RATED_NOT_HELPFUL, over ratings of such notes",
            "scorer": None if scores is None else {
                "rater_agree_ratio": scores.rater_agree_ratio,
                "above_helpfulness_threshold": scores.above_helpfulness_threshold,
                "crh_crnh_ratio_difference": scores.crh_crnh_ratio_difference,
                "mean_note_score": scores.mean_note_score,
                "successful_ratings": scores.successful_helpful + scores.successful_not_helpful,
                "unsuccessful_ratings": scores.unsuccessful_helpful
                + scores.unsuccessful_not_helpful,
            },
        },
    )

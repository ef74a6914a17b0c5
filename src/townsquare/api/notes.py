"""Community notes under /api/v1/townsquare/...: write and rate notes, read a post's notes,
one note with its status history, one's own record, and the published vocabulary."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import notes as actions
from townsquare.api import auth, params
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.notes import constants as c
from townsquare.queries import notes as q
from townsquare.queries.statuses import load_one

r = Routes()


class NoteParams(msgspec.Struct):
    status_id: str | int | None = None
    classification: str = ""
    reasons: list[str] = []  # published checkbox names, e.g. misleadingFactualError
    summary: str = ""


class RatingParams(msgspec.Struct):
    helpfulness: str = ""
    tags: list[str] = []  # published tag names, e.g. helpfulGoodSources


async def _visible_note(ctx: Context, note_id: int, viewer: int | None) -> Any:
    """The note's row if its post is visible to the viewer; 404 otherwise."""
    async with ctx.db.read() as conn:
        row = await q.note_row(conn, note_id)
        if row is None or await load_one(ctx, conn, row.status_id, viewer) is None:
            raise not_found("Note")
        return row


@r.get("/api/v1/townsquare/notes/vocabulary", response=dict[str, Any])
async def vocabulary(request: Request) -> Response:
    """The published classifications, reasons, rating levels and tags, with their wording."""
    return ok({
        "max_chars": actions.NOTE_MAX_CHARS,
        "classifications": {
            cls: [{"name": n, "label": q.REASON_LABELS[n]} for n in reasons]
            for cls, reasons in ((c.MISLEADING, c.MISLEADING_TAGS),
                                 (c.NOT_MISLEADING, c.NOT_MISLEADING_TAGS))},
        "helpfulness": {
            c.HELPFUL: [{"name": t, "label": q.TAG_LABELS[t]} for t in c.HELPFUL_TAGS],
            c.SOMEWHAT_HELPFUL: [{"name": t, "label": q.TAG_LABELS[t]}
                                 for t in (*c.HELPFUL_TAGS, *c.NOT_HELPFUL_TAGS)],
            c.NOT_HELPFUL: [{"name": t, "label": q.TAG_LABELS[t]} for t in c.NOT_HELPFUL_TAGS],
        },
        "statuses": list(c.STATUS_NAMES),
        "rescoring": {"every_seconds": actions.RESCORE_EVERY_SECONDS,
                      "after_ratings": actions.RESCORE_AFTER_RATINGS},
    })


@r.post("/api/v1/townsquare/notes", params=NoteParams, response=q.Note,
        scope="write:statuses")
async def write_note(request: Request) -> Response:
    """Write a community note on a post you can see (not your own)."""
    writer = await auth.require_user(request, "write:statuses")
    p = await params.parse(request, NoteParams)
    status_id = params.parse_id(p.status_id, "Status")
    ctx = auth.ctx_of(request)
    note_id = await actions.write_note(ctx, writer, actions.NewNote(
        status_id=status_id, classification=p.classification, reasons=p.reasons,
        summary=p.summary))
    async with ctx.db.read() as conn:
        row = await q.note_row(conn, note_id)
        return ok(await q.note_with_history(ctx, conn, row, writer))


@r.get("/api/v1/townsquare/notes/me", response=q.Record, scope="read:statuses")
async def my_record(request: Request) -> Response:
    """Your record: notes you wrote with their statuses, your ratings and their impact."""
    viewer = await auth.require_user(request, "read:statuses")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        return ok(await q.record(ctx, conn, viewer))


@r.get("/api/v1/townsquare/notes/{id}", response=q.Note)
async def get_note(request: Request) -> Response:
    """One note with its status, scores and status history."""
    viewer = await auth.viewer_id(request, "read:statuses")
    ctx = auth.ctx_of(request)
    row = await _visible_note(ctx, params.parse_id(request.path_params["id"], "Note"), viewer)
    async with ctx.db.read() as conn:
        return ok(await q.note_with_history(ctx, conn, row, viewer))


@r.post("/api/v1/townsquare/notes/{id}/ratings", params=RatingParams, response=q.Note,
        scope="write:statuses")
async def rate_note(request: Request) -> Response:
    """Rate a note (helpful, somewhat helpful, not helpful); rating again replaces it."""
    rater = await auth.require_user(request, "write:statuses")
    note_id = params.parse_id(request.path_params["id"], "Note")
    p = await params.parse(request, RatingParams)
    ctx = auth.ctx_of(request)
    await actions.rate_note(ctx, rater, note_id, actions.NewRating(p.helpfulness, p.tags))
    async with ctx.db.read() as conn:
        row = await q.note_row(conn, note_id)
        return ok(await q.note_with_history(ctx, conn, row, rater))


@r.get("/api/v1/townsquare/statuses/{id}/notes", response=list[q.Note])
async def status_notes(request: Request) -> Response:
    """Every note on a post with its status (helpful first)."""
    viewer = await auth.viewer_id(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        if await load_one(ctx, conn, status_id, viewer) is None:
            raise not_found("Status")
        return ok(await q.notes_on_status(ctx, conn, status_id, viewer))


routes = r.routes

"""Community notes in the web interface: a post's notes with rating forms, writing a note,
and one's own record. Helpful notes also show under the post everywhere (the post macro)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import notes as actions
from townsquare.actions.errors import ActionError
from townsquare.api.entities import Status
from townsquare.notes import constants as c
from townsquare.queries import notes as q
from townsquare.queries.statuses import load_one, load_statuses
from townsquare.web import session
from townsquare.web.render import Pages, field, fields, page, redirect, status_path
from townsquare.web.session import WebError

p = Pages()

NOT_FOUND = "This post does not exist, or you may not see it."

# The published vocabulary (the same as GET /api/v1/townsquare/notes/vocabulary).
CLASSIFICATIONS = {
    c.MISLEADING: ("Misleading", [(n, q.REASON_LABELS[n]) for n in c.MISLEADING_TAGS]),
    c.NOT_MISLEADING: ("Not misleading", [(n, q.REASON_LABELS[n])
                                          for n in c.NOT_MISLEADING_TAGS]),
}
LEVELS = {c.HELPFUL: "Helpful", c.SOMEWHAT_HELPFUL: "Somewhat helpful",
          c.NOT_HELPFUL: "Not helpful"}
HELPFUL_TAGS = [(t, q.TAG_LABELS[t]) for t in c.HELPFUL_TAGS]
NOT_HELPFUL_TAGS = [(t, q.TAG_LABELS[t]) for t in c.NOT_HELPFUL_TAGS]
STATUS_WORDS = {c.CRH: "Rated helpful", c.CRNH: "Rated not helpful",
                c.NMR: "Needs more ratings"}


def _num(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise WebError(404, NOT_FOUND)
    return int(raw)


async def _notes_page(request: Request, status_id: int, *, status: int = 200,
                      error: str | None = None, form: FormData | None = None) -> Response:
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    vid = viewer.id if viewer else None
    async with ctx.db.read() as conn:
        post = await load_one(ctx, conn, status_id, vid)
        if post is None or post.reblog is not None:
            raise WebError(404, NOT_FOUND)
        notes = await q.notes_on_status(ctx, conn, status_id, vid)
    wrote = any(n.own for n in notes)
    return await page(request, "notes.html", status=status, post=post, notes=notes,
                      classifications=CLASSIFICATIONS, levels=LEVELS,
                      helpful_tags=HELPFUL_TAGS, not_helpful_tags=NOT_HELPFUL_TAGS,
                      status_words=STATUS_WORDS, wrote=wrote, error=error,
                      form=form or FormData(), max_note=actions.NOTE_MAX_CHARS,
                      can_write=viewer is not None and not wrote
                      and post.account.id != viewer.account.id)


@p.get("/@{username}/{id:int}/notes")
async def notes_page(request: Request) -> Response:
    """Every note on a post, with its status, and the forms to rate or write one."""
    status_id = int(request.path_params["id"])
    if status_id >= 2**63:
        raise WebError(404, NOT_FOUND)
    return await _notes_page(request, status_id)


@p.post("/notes")
async def write(request: Request, form: FormData) -> Response:
    """Write a note on a post (not your own): classification, reasons, a summary with a
    source link."""
    viewer = await session.require_viewer(request)
    status_id = _num(field(form, "status_id"))
    new = actions.NewNote(status_id=status_id, classification=field(form, "classification"),
                          reasons=fields(form, "reasons"), summary=field(form, "summary"))
    try:
        await actions.write_note(session.ctx_of(request), viewer.id, new)
    except ActionError as exc:
        if exc.status == 404:
            raise
        return await _notes_page(request, status_id, status=exc.status, form=form,
                                 error=exc.message.removeprefix("Validation failed: "))
    return redirect(f"{await _path(request, status_id)}/notes#notes")


async def _path(request: Request, status_id: int) -> str:
    ctx = session.ctx_of(request)
    viewer = await session.require_viewer(request)
    async with ctx.db.read() as conn:
        post = await load_one(ctx, conn, status_id, viewer.id)
    if post is None:
        raise WebError(404, NOT_FOUND)
    return status_path(post)


@p.post("/notes/{id}/rate")
async def rate(request: Request, form: FormData) -> Response:
    """Rate a note; rating again replaces your rating."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    note_id = _num(request.path_params["id"])
    async with ctx.db.read() as conn:
        row = await q.note_row(conn, note_id)
    if row is None:
        raise WebError(404, "This note does not exist.")
    level = field(form, "helpfulness")
    allowed = {t for t, _ in HELPFUL_TAGS} if level == c.HELPFUL else (
        {t for t, _ in NOT_HELPFUL_TAGS} if level == c.NOT_HELPFUL else None)
    tags = [t for t in fields(form, "tags") if allowed is None or t in allowed]
    await actions.rate_note(ctx, viewer.id, note_id, actions.NewRating(level, tags))
    return redirect(f"{await _path(request, row.status_id)}/notes#note-{note_id}")


@p.get("/notes/me")
async def my_record(request: Request) -> Response:
    """Your notes with their statuses, your ratings and how often they matched."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        rec = await q.record(ctx, conn, viewer.id)
        ids = sorted({int(n.status_id) for n in rec.notes}
                     | {int(r.status_id) for r in rec.ratings})
        posts: dict[int, Status] = await load_statuses(ctx, conn, ids, viewer.id)
    paths: dict[str, Any] = {str(k): status_path(v) for k, v in posts.items()}
    return await page(request, "notes_record.html", rec=rec, paths=paths,
                      status_words=STATUS_WORDS, levels=LEVELS)


pages = p.routes

"""A post with its thread, composing (with polls, replies, quotes), and acting on posts in
place: like, repost, bookmark, delete, vote."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from townsquare.actions import feeds as feed_actions
from townsquare.actions import interactions, user_controls
from townsquare.actions import media as media_actions
from townsquare.actions import polls as poll_actions
from townsquare.actions.errors import ActionError, Invalid
from townsquare.actions.statuses import (
    NewPoll,
    NewStatus,
    StatusChange,
    create_status,
    delete_status,
    edit_status,
)
from townsquare.api.entities import Status
from townsquare.model.clock import utc
from townsquare.queries import choices, integrity_view
from townsquare.queries.edits import load_history, load_source
from townsquare.queries.statuses import load_one, load_statuses
from townsquare.queries.threads import ancestor_ids, descendant_ids, visible_row
from townsquare.web import session
from townsquare.web.integrity import POLL_RULE
from townsquare.web.render import (
    Pages,
    field,
    fields,
    is_fetch,
    page,
    page_headers,
    redirect,
    render,
    safe_next,
    status_path,
)
from townsquare.web.session import WebError

p = Pages()

Act = Callable[[Any, int, int], Awaitable[Any]]


def parse_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 19:
        raise WebError(404, "This post does not exist, or you may not see it.")
    return int(raw)


def plain_text(content: str) -> str:
    """A post's HTML as plain text, for the page title."""
    return html.unescape(re.sub(r"<[^>]+>", " ", content)).strip()


async def _viewer_id(request: Request) -> int | None:
    v = await session.viewer(request)
    return v.id if v else None


async def _status(request: Request, status_id: int) -> Status:
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, await _viewer_id(request))
    if status is None:
        raise WebError(404, "This post does not exist, or you may not see it.")
    return status


@p.get("/statuses/{id}")
async def status_redirect(request: Request) -> Response:
    """A post by id alone: redirects to its address under its author."""
    status = await _status(request, parse_id(request.path_params["id"]))
    return redirect(status_path(status.reblog or status))


@p.get("/@{username}/{id:int}")
async def thread(request: Request) -> Response:
    """A post with the thread around it."""
    ctx = session.ctx_of(request)
    status_id = int(request.path_params["id"])
    if status_id >= 2**63:
        raise WebError(404, "This post does not exist, or you may not see it.")
    viewer_id = await _viewer_id(request)
    async with ctx.db.read() as conn:
        # One hydration for the whole thread: ids up and down, then the posts in one batch.
        row = await visible_row(conn, status_id, viewer_id)
        if row is None:
            raise WebError(404, "This post does not exist, or you may not see it.")
        if row.reblog_of_id is not None:
            status = await load_one(ctx, conn, status_id, viewer_id)
            if status is None or status.reblog is None:
                raise WebError(404, "This post does not exist, or you may not see it.")
            return redirect(status_path(status.reblog))
        up = await ancestor_ids(ctx, conn, row, viewer_id)
        down = await descendant_ids(ctx, conn, row, viewer_id)
        loaded = await load_statuses(ctx, conn, [*up, status_id, *down], viewer_id)
        status = loaded.get(status_id)
        if status is None:
            raise WebError(404, "This post does not exist, or you may not see it.")
        honest = None
        if status.poll is not None:  # the honest result beside the raw one
            honest = await integrity_view.poll_integrity(
                conn, int(status.poll.id), viewer_id, int(status.account.id), ctx.clock.now())
        own: choices.OwnPost | None = (
            await choices.own_post(conn, status_id)
               if viewer_id is not None and status.account.id == str(viewer_id) else None)
    if status.account.username != request.path_params["username"]:
        return redirect(status_path(status))
    ancestors = [loaded[i] for i in up if i in loaded]
    descendants = [loaded[i] for i in down if i in loaded]
    viewer = await session.viewer(request)
    mentions = [status.account.username] + [m.username for m in status.mentions]
    me = viewer.account.username if viewer else None
    reply_text = " ".join(f"@{u}" for u in dict.fromkeys(mentions) if u != me)
    return await page(request, "thread.html", ancestors=ancestors, descendants=descendants,
                      reply_text=(reply_text + " ") if reply_text else "",
                      plain=plain_text(status.content), post=status, honest=honest, own=own,
                      reply_policies=user_controls.REPLY_POLICIES, poll_rule=POLL_RULE)


@p.get("/compose")
async def compose_page(request: Request) -> Response:
    """A page to write a post (or quote one)."""
    await session.require_viewer(request)
    quote = None
    raw = request.query_params.get("quote", "")
    if raw:
        quote = await _status(request, parse_id(raw))
    return await page(request, "compose.html", quote=quote, text="", error=None)


def new_status_from(form: FormData) -> NewStatus:
    options = [o.strip() for o in fields(form, "poll_option") if o.strip()]
    poll = None
    if options:
        try:
            expires_in = int(field(form, "poll_expires_in", "86400"))
        except ValueError:
            raise Invalid("Validation failed: poll duration is not a number") from None
        poll = NewPoll(options, expires_in, multiple=bool(field(form, "poll_multiple")))
    reply = field(form, "in_reply_to_id")
    quote = field(form, "quote_id")
    visibility = field(form, "visibility") or None
    return NewStatus(
        text=field(form, "status"), visibility=visibility,
        spoiler_text=field(form, "spoiler_text").strip(),
        in_reply_to_id=parse_id(reply) if reply else None,
        quote_id=parse_id(quote) if quote else None, poll=poll)


MAX_IMAGES = 4


def _images(form: FormData) -> list[tuple[UploadFile, str]]:
    """The chosen images with their descriptions (alt text), in order."""
    files = [f for f in form.getlist("media") if isinstance(f, UploadFile) and f.filename]
    alts = fields(form, "media_description")
    if len(files) > MAX_IMAGES:
        raise Invalid(f"Validation failed: at most {MAX_IMAGES} images")
    return [(f, (alts[i] if i < len(alts) else "").strip()) for i, f in enumerate(files)]


async def _upload(request: Request, viewer_id: int, form: FormData) -> list[int]:
    """Store the composer's images (resized outside any transaction) and return their ids.
    Images need a description unless the author ticked "post without"."""
    images = _images(form)
    if any(not alt for _, alt in images) and not field(form, "no_alt"):
        raise Invalid("Validation failed: describe each image for people who cannot see it "
                      "(or tick \"Post without descriptions\")")
    ctx = session.ctx_of(request)
    ids = []
    for upload, alt in images:
        data = await upload.read(ctx.settings.max_image_bytes + 1)
        media_actions.check_size(ctx.settings, len(data))
        ids.append(await media_actions.upload_media(ctx, viewer_id, data,
                                                    description=alt or None))
    return ids


@p.post("/statuses")
async def post_status(request: Request, form: FormData) -> Response:
    """Publish a post from the composer (with up to four images)."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    try:
        new = new_status_from(form)
        if any(isinstance(f, UploadFile) and f.filename for f in form.getlist("media")):
            new = replace(new, media_ids=await _upload(request, viewer.id, form))
        status_id = await create_status(ctx, viewer.id, new)
    except ActionError as exc:
        message = exc.message.removeprefix("Validation failed: ")
        if is_fetch(request):
            return await render(request, "_error.html", exc.status, status_code=exc.status,
                                message=message)
        quote_raw = field(form, "quote_id")
        quote = await _status(request, parse_id(quote_raw)) if quote_raw else None
        return await page(request, "compose.html", status=exc.status, quote=quote,
                          text=field(form, "status"), error=message)
    if is_fetch(request):
        return await render(request, "_status.html", s=await _status(request, status_id),
                            focus=False)
    status = await _status(request, status_id)
    nxt = field(form, "next")
    if new.in_reply_to_id is None and nxt in ("/home", "/public", "/"):
        return redirect(nxt)
    return redirect(status_path(status))


ACTIONS: dict[str, Act] = {
    "favourite": interactions.favourite,
    "unfavourite": interactions.unfavourite,
    "bookmark": interactions.bookmark,
    "unbookmark": interactions.unbookmark,
    "reblog": interactions.reblog,
    "unreblog": interactions.unreblog,
    "pin": interactions.pin,
    "unpin": interactions.unpin,
    "show_more": lambda ctx, v, s: feed_actions.give_feedback(ctx, v, s, "more"),
    "show_less": lambda ctx, v, s: feed_actions.give_feedback(ctx, v, s, "less"),
    "undo_feedback": lambda ctx, v, s: feed_actions.give_feedback(ctx, v, s, None),
    "recommend": lambda ctx, v, s: feed_actions.set_status_recommendable(ctx, v, s, True),
    "unrecommend": lambda ctx, v, s: feed_actions.set_status_recommendable(ctx, v, s, False),
    "detach_quote": user_controls.detach_quote,
}
# Actions after which the post is gone from the viewer's page (in place: removed).
GONE: dict[str, Act] = {
    "hide": lambda ctx, v, s: user_controls.hide_status(ctx, v, s, True),
}


async def _after(request: Request, form: FormData, status_id: int | None) -> Response:
    """Answer an in-place action: the post re-rendered for our script, a redirect otherwise."""
    if is_fetch(request):
        if status_id is None:
            return HTMLResponse("", headers=page_headers())
        return await render(request, "_status.html", s=await _status(request, status_id),
                            focus=bool(field(form, "focus")))
    return redirect(safe_next(field(form, "next"), "/home"))


@p.get("/@{username}/{id:int}/edit")
async def edit_form(request: Request) -> Response:
    """Edit one of your posts."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    status_id = int(request.path_params["id"])
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer.id) if status_id < 2**63 else None
        source = await load_source(conn, status_id, viewer.id) if status else None
    if status is None or source is None or status.reblog is not None:
        raise WebError(404, "This post does not exist, or you may not see it.")
    if status.account.id != str(viewer.id):
        raise WebError(403, "You can only edit your own posts.")
    return await page(request, "edit.html", post=status, source=source, error=None)


@p.post("/statuses/{id}/edit")
async def edit(request: Request, form: FormData) -> Response:
    """Save an edit; the post keeps its media and poll, and its history grows."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    status_id = parse_id(request.path_params["id"])
    status = await _status(request, status_id)
    poll = None
    if status.poll is not None:
        left = int((datetime.fromisoformat(status.poll.expires_at.replace("Z", "+00:00"))
                    - utc(ctx.clock.now())).total_seconds()) if status.poll.expires_at else 0
        poll = NewPoll([o.title for o in status.poll.options], max(left, 300),
                       multiple=status.poll.multiple)
    change = StatusChange(text=field(form, "status"),
                          spoiler_text=field(form, "spoiler_text").strip(),
                          media_ids=[int(a.id) for a in status.media_attachments], poll=poll)
    try:
        await edit_status(ctx, viewer.id, status_id, change)
    except ActionError as exc:
        if exc.status not in (404, 403):
            async with ctx.db.read() as conn:
                source = await load_source(conn, status_id, viewer.id)
            return await page(request, "edit.html", status=exc.status, post=status,
                              source=source, text=field(form, "status"),
                              error=exc.message.removeprefix("Validation failed: "))
        raise
    return redirect(status_path(status))


@p.get("/@{username}/{id:int}/history")
async def history(request: Request) -> Response:
    """Every version of a post, newest first."""
    ctx = session.ctx_of(request)
    status_id = int(request.path_params["id"])
    viewer_id = await _viewer_id(request)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer_id) if status_id < 2**63 else None
        versions = await load_history(ctx, conn, status_id, viewer_id) if status else None
    if status is None or versions is None:
        raise WebError(404, "This post does not exist, or you may not see it.")
    return await page(request, "history.html", post=status, versions=list(reversed(versions)))


@p.post("/statuses/{id}/{action}")
async def act(request: Request, form: FormData) -> Response:
    """Like, repost, bookmark, pin (and undo), or delete a post."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    status_id = parse_id(request.path_params["id"])
    name = request.path_params["action"]
    if name == "delete":
        await delete_status(ctx, viewer.id, status_id)
        nxt = safe_next(field(form, "next"), "/home")
        if not is_fetch(request) and nxt.rstrip("/").endswith(f"/{status_id}"):
            form = FormData([("next", f"/@{viewer.account.username}")])
        return await _after(request, form, None)
    if name == "reply_policy":
        await user_controls.set_reply_policy(ctx, viewer.id, status_id, field(form, "policy"))
        return await _after(request, form, status_id)
    if name == "unhide":
        await user_controls.hide_status(ctx, viewer.id, status_id, False)
        return await _after(request, form, status_id)
    gone = GONE.get(name)
    if gone is not None:
        await gone(ctx, viewer.id, status_id)
        return await _after(request, form, None)
    fn = ACTIONS.get(name)
    if fn is None:
        raise WebError(404, "No such action.")
    await fn(ctx, viewer.id, status_id)
    if name.endswith("feedback") or name.startswith("show_"):
        # The ranked post's explanation is not recomputed; our script just says it is noted.
        return await _after(request, form, None)
    return await _after(request, form, status_id)


@p.post("/polls/{id}/votes")
async def vote(request: Request, form: FormData) -> Response:
    """Vote in a poll."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    poll_id = parse_id(request.path_params["id"])
    try:
        choices = [int(c) for c in fields(form, "choices")]
    except ValueError:
        raise WebError(422, "Choose one of the options.") from None
    if not choices:
        raise WebError(422, "Choose one of the options.")
    await poll_actions.vote(ctx, viewer.id, poll_id, choices)
    raw = field(form, "status_id")
    return await _after(request, form, parse_id(raw) if raw else None)


pages = p.routes

"""/api/v1/statuses: post, read, and (in statuses_*.py) act on posts."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.errors import Unauthorized
from townsquare.actions.statuses import (
    MediaChange,
    NewPoll,
    NewStatus,
    StatusChange,
    create_post,
    delete_status,
    edit_status,
)
from townsquare.api import auth, params
from townsquare.api.answer import answer
from townsquare.api.entities import Context, Status, StatusEdit, StatusSource
from townsquare.api.errors import ApiError, not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.queries.edits import load_history, load_source
from townsquare.queries.statuses import load_one
from townsquare.queries.threads import load_context

r = Routes()


class PollParams(msgspec.Struct):
    options: list[str] = []
    expires_in: int = 86400
    multiple: bool = False
    hide_totals: bool = False


class StatusParams(msgspec.Struct):
    status: str = ""
    media_ids: list[str] = []
    poll: PollParams | None = None
    in_reply_to_id: str | None = None
    quote_id: str | None = None
    quoted_status_id: str | None = None  # Mastodon 4.5's name for the quoted post
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: str | None = None
    language: str | None = None


@r.post("/api/v1/statuses", params=StatusParams, response=Status, scope="write:statuses")
async def post_status(request: Request) -> Response:
    """Post a status (text, media, poll, reply, quote)."""
    # The token from this process's cache when seen before: the post writer checks it is
    # still live in its batch's transaction, instead of a round trip of its own per post.
    a = await auth.identity(request, "write:statuses")
    p = await params.parse(request, StatusParams)
    quote = p.quote_id or p.quoted_status_id
    new = NewStatus(
        text=p.status,
        visibility=p.visibility or None,
        spoiler_text=p.spoiler_text,
        sensitive=p.sensitive,
        language=p.language or None,
        in_reply_to_id=params.parse_id(p.in_reply_to_id, "Status") if p.in_reply_to_id else None,
        quote_id=params.parse_id(quote, "Status") if quote else None,
        media_ids=params.parse_ids(p.media_ids, "Media"),
        poll=NewPoll(p.poll.options, p.poll.expires_in, p.poll.multiple, p.poll.hide_totals)
        if p.poll is not None and p.poll.options else None,
        application_id=a.app_id,
    )
    ctx = auth.ctx_of(request)
    try:
        posted = await create_post(ctx, a.account_id, new, token_id=a.unchecked)
    except Unauthorized:
        auth.forget_token(request)
        raise
    # Built from what the writer knows (api/answer.py), not read back.
    return ok(await answer(ctx, posted, a.account_id))


@r.get("/api/v1/statuses/{id}", response=Status)
async def get_status(request: Request) -> Response:
    """View a single status the viewer may see."""
    viewer = await auth.viewer_id(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer)
    if status is None:
        raise not_found("Status")
    return ok(status)


class DeleteParams(msgspec.Struct):
    delete_media: bool = False


@r.delete("/api/v1/statuses/{id}", params=DeleteParams, response=Status,
          scope="write:statuses")
async def delete_status_route(request: Request) -> Response:
    """Delete your post; answers with it and its source text, for "delete and redraft"."""
    viewer = await auth.require_user(request, "write:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    p = await params.parse(request, DeleteParams)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer)
    if status is None or status.account.id != str(viewer):
        raise not_found("Status")
    gone = await delete_status(ctx, viewer, status_id, delete_media=p.delete_media)
    return ok(msgspec.structs.replace(status, text=gone.text, spoiler_text=gone.spoiler_text))


class EditParams(msgspec.Struct):
    status: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[str] = []
    media_attributes: list[dict[str, Any]] = []
    poll: PollParams | None = None


def _focus(raw: Any) -> tuple[float, float] | None:
    if raw is None or raw == "":
        return None
    try:
        x, y = (float(v) for v in str(raw).split(","))
    except ValueError:
        raise ApiError(422, "Validation failed: focus must be two numbers, \"x,y\"") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise ApiError(422, "Validation failed: focus values must be between -1 and 1")
    return x, y


def _media_changes(raw: list[dict[str, Any]]) -> list[MediaChange]:
    """`media_attributes` as a JSON list of objects, or Rails-style `media_attributes[0][id]`
    form fields (which arrive as one dict keyed by index)."""
    items: list[Any] = []
    for entry in raw:
        if isinstance(entry, dict) and entry and all(str(k).isdigit() for k in entry):
            items.extend(entry[k] for k in sorted(entry, key=int))
        else:
            items.append(entry)
    out = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise ApiError(422, "Validation failed: each media_attributes entry needs an id")
        description = item.get("description")
        out.append(MediaChange(params.parse_id(item["id"], "Media"),
                               None if description is None else str(description),
                               _focus(item.get("focus"))))
    return out


@r.put("/api/v1/statuses/{id}", params=EditParams, response=Status, scope="write:statuses")
async def edit_status_route(request: Request) -> Response:
    """Edit your post; the previous versions stay in its history."""
    viewer = await auth.require_user(request, "write:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    p = await params.parse(request, EditParams)
    change = StatusChange(
        text=p.status, spoiler_text=p.spoiler_text, sensitive=p.sensitive,
        language=p.language or None, media_ids=params.parse_ids(p.media_ids, "Media"),
        media_attributes=_media_changes(p.media_attributes),
        poll=NewPoll(p.poll.options, p.poll.expires_in, p.poll.multiple, p.poll.hide_totals)
        if p.poll is not None and p.poll.options else None)
    ctx = auth.ctx_of(request)
    await edit_status(ctx, viewer, status_id, change)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer)
    if status is None:
        raise not_found("Status")
    return ok(status)


@r.get("/api/v1/statuses/{id}/context", response=Context)
async def status_context(request: Request) -> Response:
    """A post's thread: ancestors (root first) and descendants (depth-first)."""
    viewer = await auth.viewer_id(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        found = await load_context(ctx, conn, status_id, viewer)
    if found is None:
        raise not_found("Status")
    return ok(Context(ancestors=found[0], descendants=found[1]))


@r.get("/api/v1/statuses/{id}/history", response=list[StatusEdit])
async def status_history(request: Request) -> Response:
    """A post's versions, oldest first."""
    viewer = await auth.viewer_id(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        history = await load_history(ctx, conn, status_id, viewer)
    if history is None:
        raise not_found("Status")
    return ok(history)


@r.get("/api/v1/statuses/{id}/source", response=StatusSource, scope="read:statuses")
async def status_source(request: Request) -> Response:
    """A post's text as written, for editing."""
    viewer = await auth.require_user(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        source = await load_source(conn, status_id, viewer)
    if source is None:
        raise not_found("Status")
    return ok(source)


routes = r.routes

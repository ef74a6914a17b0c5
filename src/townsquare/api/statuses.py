"""/api/v1/statuses: post, read, and (in statuses_*.py) act on posts."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.statuses import NewPoll, NewStatus, create_status
from townsquare.api import auth, params
from townsquare.api.entities import Status
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.queries.statuses import load_one

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
    a = await auth.require(request, "write:statuses")
    assert a.account_id is not None
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
    status_id = await create_status(ctx, a.account_id, new)
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, a.account_id)
    return ok(status)


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


routes = r.routes

"""/api/v1/statuses/:id/{favourite,reblog,bookmark,pin,mute,...}: acting on a post, and who
liked or reposted it. Every act answers with the Status as the actor now sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import interactions as act
from townsquare.api import auth, params
from townsquare.api.entities import Account, Status
from townsquare.api.errors import not_found
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries import status_actors
from townsquare.queries.statuses import load_one
from townsquare.queries.threads import visible_row

r = Routes()

Act = Callable[[Context, int, int], Awaitable[int]]


class ReblogParams(msgspec.Struct):
    visibility: str | None = None


async def _respond(ctx: Context, status_id: int, viewer: int,
                   muted: bool | None = None) -> Response:
    async with ctx.db.read() as conn:
        status = await load_one(ctx, conn, status_id, viewer)
    if status is None:
        raise not_found("Status")
    if muted is not None:
        status = msgspec.structs.replace(status, muted=muted)
    return ok(status)


async def _run(request: Request, scope: str, fn: Act) -> Response:
    viewer = await auth.require_user(request, scope)
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    return await _respond(ctx, await fn(ctx, viewer, status_id), viewer)


@r.post("/api/v1/statuses/{id}/favourite", response=Status, scope="write:favourites")
async def favourite(request: Request) -> Response:
    """Favourite (like) a post; liking twice counts once."""
    return await _run(request, "write:favourites", act.favourite)


@r.post("/api/v1/statuses/{id}/unfavourite", response=Status, scope="write:favourites")
async def unfavourite(request: Request) -> Response:
    """Take a favourite back."""
    return await _run(request, "write:favourites", act.unfavourite)


@r.post("/api/v1/statuses/{id}/reblog", params=ReblogParams, response=Status,
        scope="write:statuses")
async def reblog(request: Request) -> Response:
    """Repost (boost) a post; answers with the repost, which wraps the post."""
    viewer = await auth.require_user(request, "write:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    p = await params.parse(request, ReblogParams)
    ctx = auth.ctx_of(request)
    reblog_id = await act.reblog(ctx, viewer, status_id, p.visibility or None)
    return await _respond(ctx, reblog_id, viewer)


@r.post("/api/v1/statuses/{id}/unreblog", response=Status, scope="write:statuses")
async def unreblog(request: Request) -> Response:
    """Take a repost back; answers with the post."""
    return await _run(request, "write:statuses", act.unreblog)


@r.post("/api/v1/statuses/{id}/bookmark", response=Status, scope="write:bookmarks")
async def bookmark(request: Request) -> Response:
    """Bookmark a post (private to you)."""
    return await _run(request, "write:bookmarks", act.bookmark)


@r.post("/api/v1/statuses/{id}/unbookmark", response=Status, scope="write:bookmarks")
async def unbookmark(request: Request) -> Response:
    """Remove a bookmark."""
    return await _run(request, "write:bookmarks", act.unbookmark)


@r.post("/api/v1/statuses/{id}/pin", response=Status, scope="write:accounts")
async def pin(request: Request) -> Response:
    """Pin one of your posts to your profile (at most 5)."""
    return await _run(request, "write:accounts", act.pin)


@r.post("/api/v1/statuses/{id}/unpin", response=Status, scope="write:accounts")
async def unpin(request: Request) -> Response:
    """Unpin a post from your profile."""
    return await _run(request, "write:accounts", act.unpin)


async def _mute(request: Request, muted: bool) -> Response:
    viewer = await auth.require_user(request, "write:mutes")
    status_id = params.parse_id(request.path_params["id"], "Status")
    ctx = auth.ctx_of(request)
    # Conversation mutes are not stored yet: the answer says what was asked, nothing more.
    return await _respond(ctx, status_id, viewer, muted=muted)


@r.post("/api/v1/statuses/{id}/mute", response=Status, scope="write:mutes")
async def mute(request: Request) -> Response:
    """Mute a conversation (not persisted yet: answers muted=true only)."""
    return await _mute(request, True)


@r.post("/api/v1/statuses/{id}/unmute", response=Status, scope="write:mutes")
async def unmute(request: Request) -> Response:
    """Unmute a conversation."""
    return await _mute(request, False)


async def _actors(request: Request, which: str) -> Response:
    viewer = await auth.viewer_id(request, "read:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    page = page_of(request, default=40, maximum=80)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        if await visible_row(conn, status_id, viewer) is None:
            raise not_found("Status")
        fn = status_actors.favourited_by if which == "f" else status_actors.reblogged_by
        keys, found = await fn(ctx, conn, status_id, viewer, page)
    return ok(found, headers=link_header(request, page, keys))


@r.get("/api/v1/statuses/{id}/favourited_by", response=list[Account])
async def favourited_by(request: Request) -> Response:
    """Accounts that favourited a post, newest first."""
    return await _actors(request, "f")


@r.get("/api/v1/statuses/{id}/reblogged_by", response=list[Account])
async def reblogged_by(request: Request) -> Response:
    """Accounts that reposted a post, newest first."""
    return await _actors(request, "r")


routes = r.routes

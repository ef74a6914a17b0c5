"""Follows, blocks and mutes of /api/v1/accounts/:id/..., the relationships query, and the
signed-in account's lists of blocks and mutes. Every action answers with the Relationship."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import relationships as rel
from townsquare.api import auth, params
from townsquare.api.entities import Account, Relationship
from townsquare.api.errors import ApiError, not_found
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.relationships import edge_list, relationship, relationships
from townsquare.store.tables import blocks, mutes

r = Routes()

MAX_IDS = 100


async def answer(ctx: Context, viewer_id: int, target_id: int) -> Response:
    async with ctx.db.read() as conn:
        found = await relationship(conn, viewer_id, target_id, ctx.clock.now())
    if found is None:
        raise not_found("Account")
    return ok(found)


def target_of(request: Request) -> int:
    return params.parse_id(str(request.path_params["id"]), "Account")


class IdsParams(msgspec.Struct):
    id: list[str] = []
    with_suspended: bool = False


@r.get("/api/v1/accounts/relationships", params=IdsParams, response=list[Relationship],
       scope="read:follows")
async def get_relationships(request: Request) -> Response:
    """The viewer's relationships with the given accounts (`id[]=`)."""
    viewer = await auth.require_user(request, "read:follows")
    p = await params.parse(request, IdsParams)
    if len(p.id) > MAX_IDS:
        raise ApiError(422, f"Validation failed: at most {MAX_IDS} ids")
    ids = [int(x) for x in p.id if x.isdigit() and len(x) <= 19 and int(x) < 2**63]
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        found = await relationships(conn, viewer, ids, ctx.clock.now())
    return ok(found)


class FollowParams(msgspec.Struct):
    reblogs: bool | None = None
    notify: bool | None = None
    languages: list[str] = []


@r.post("/api/v1/accounts/{id:int}/follow", params=FollowParams, response=Relationship,
        scope="write:follows")
async def follow(request: Request) -> Response:
    """Follow an account (or request to, if it is locked); repeat to change the options."""
    viewer = await auth.require_user(request, "write:follows")
    p = await params.parse(request, FollowParams)
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.follow(ctx, viewer, target, reblogs=p.reblogs, notify_posts=p.notify)
    return await answer(ctx, viewer, target)


@r.post("/api/v1/accounts/{id:int}/unfollow", response=Relationship, scope="write:follows")
async def unfollow(request: Request) -> Response:
    """Unfollow an account (or withdraw a follow request)."""
    viewer = await auth.require_user(request, "write:follows")
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.unfollow(ctx, viewer, target)
    return await answer(ctx, viewer, target)


@r.post("/api/v1/accounts/{id:int}/remove_from_followers", response=Relationship,
        scope="write:follows")
async def remove_from_followers(request: Request) -> Response:
    """Make an account stop following you."""
    viewer = await auth.require_user(request, "write:follows")
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.remove_from_followers(ctx, viewer, target)
    return await answer(ctx, viewer, target)


@r.post("/api/v1/accounts/{id:int}/block", response=Relationship, scope="write:blocks")
async def block(request: Request) -> Response:
    """Block an account (ends follows both ways)."""
    viewer = await auth.require_user(request, "write:blocks")
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.block(ctx, viewer, target)
    return await answer(ctx, viewer, target)


@r.post("/api/v1/accounts/{id:int}/unblock", response=Relationship, scope="write:blocks")
async def unblock(request: Request) -> Response:
    """Unblock an account."""
    viewer = await auth.require_user(request, "write:blocks")
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.unblock(ctx, viewer, target)
    return await answer(ctx, viewer, target)


class MuteParams(msgspec.Struct):
    notifications: bool = True
    duration: int = 0


@r.post("/api/v1/accounts/{id:int}/mute", params=MuteParams, response=Relationship,
        scope="write:mutes")
async def mute(request: Request) -> Response:
    """Mute an account, optionally its notifications too, for `duration` seconds (0=forever)."""
    viewer = await auth.require_user(request, "write:mutes")
    p = await params.parse(request, MuteParams)
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.mute(ctx, viewer, target, notifications=p.notifications, duration=p.duration)
    return await answer(ctx, viewer, target)


@r.post("/api/v1/accounts/{id:int}/unmute", response=Relationship, scope="write:mutes")
async def unmute(request: Request) -> Response:
    """Unmute an account."""
    viewer = await auth.require_user(request, "write:mutes")
    ctx = auth.ctx_of(request)
    target = target_of(request)
    await rel.unmute(ctx, viewer, target)
    return await answer(ctx, viewer, target)


class ListParams(msgspec.Struct):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


async def own_list(request: Request, table: object, scope: str, *,
                   incoming: bool = False) -> Response:
    viewer = await auth.require_user(request, scope)
    ctx = auth.ctx_of(request)
    page = page_of(request, default=40, maximum=80)
    async with ctx.db.read() as conn:
        result = await edge_list(conn, ctx.settings, table, viewer, page, ctx.clock.now(),
                                 incoming=incoming)
    return ok(result.accounts, headers=link_header(request, page, result.row_ids))


@r.get("/api/v1/blocks", params=ListParams, response=list[Account], scope="read:blocks")
async def blocked_accounts(request: Request) -> Response:
    """Accounts the signed-in account blocks, newest first."""
    return await own_list(request, blocks, "read:blocks")


@r.get("/api/v1/mutes", params=ListParams, response=list[Account], scope="read:mutes")
async def muted_accounts(request: Request) -> Response:
    """Accounts the signed-in account mutes (expired mutes left out), newest first."""
    return await own_list(request, mutes, "read:mutes")


routes = r.routes

"""/api/v1/timelines: home, public, tag (and lists, from the algorithm issue), and an
account's statuses (/api/v1/accounts/:id/statuses), which is a timeline too."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth, params
from townsquare.api.entities import Status
from townsquare.api.errors import ApiError, not_found, unauthorized
from townsquare.api.pagination import Page, link_header, page_of
from townsquare.api.respond import raw_json
from townsquare.api.routing import Routes
from townsquare.queries.accounts import account_row
from townsquare.queries.status_pages import Viewer, page_json, render
from townsquare.queries.timelines import (
    AccountFilter,
    PublicFilter,
    TagFilter,
    account_status_ids,
    public_ids,
    tag_ids,
)
from townsquare.queries.viewer_cache import viewer_cache
from townsquare.store.probes import Probe
from townsquare.store.token_check import TokenCheck
from townsquare.timelines.base import PageQuery

r = Routes()


class PageParams(msgspec.Struct):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20


class PublicParams(PageParams):
    local: bool = False
    remote: bool = False
    only_media: bool = False


class TagParams(PublicParams):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []


class AccountStatusesParams(PageParams):
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    pinned: bool = False
    tagged: str | None = None


@r.get("/api/v1/timelines/home", params=PageParams, response=list[Status],
       scope="read:statuses")
async def home(request: Request) -> Response:
    """Home timeline: you and the accounts you follow, newest first."""
    ctx = auth.ctx_of(request)
    page = page_of(request)
    async with ctx.db.read() as conn:  # one connection for the token and the page
        found = await _checked_in_page(request, conn, page)
        if found is None:  # the token read first (not seen before, or relations changed)
            viewer = (await auth.require(request, "read:statuses", conn=conn)).viewer
            assert viewer is not None
            relations = await viewer_cache(ctx.extras).relations(conn, viewer.id,
                                                                 viewer.relations_version)
            probed: dict[int, Probe] = {}
            ids = await ctx.timelines.page(conn, PageQuery(
                viewer.id, page.limit, page.max_id, page.since_id, page.min_id,
                relations.hidden(ctx.clock.now()), relations.following, probed,
                quiet_reposts=relations.quiet_reposts))
        else:
            viewer, ids, probed = found
        items = await render(ctx, conn, ids, viewer, probed=probed)
    return raw_json(page_json(items), headers=link_header(request, page, ids))


async def _checked_in_page(request: Request, conn: AsyncConnection, page: Page
                           ) -> tuple[Viewer, list[int], dict[int, Probe]] | None:
    """The page with no token read of its own, when this process has seen the token and
    has the reader's relations: the token is checked in the page's statement
    (store/token_check.py), which also gives the reader's cache counters. None when that
    cannot be done, or when the relations used turn out older than the counter (the caller
    then reads the token and makes the page again)."""
    ctx = auth.ctx_of(request)
    ident = await auth.identity(request, "read:statuses", conn)
    if ident.unchecked is None:
        return None
    relations = viewer_cache(ctx.extras).latest(ident.account_id)
    if relations is None:
        return None
    check = TokenCheck(ident.unchecked)
    probed: dict[int, Probe] = {}
    ids = await ctx.timelines.page(conn, PageQuery(
        ident.account_id, page.limit, page.max_id, page.since_id, page.min_id,
        relations.hidden(ctx.clock.now()), relations.following, probed, check,
        relations.quiet_reposts))
    if not check.done:
        await check.run(conn)
    if not check.live:
        auth.forget_token(request)
        raise unauthorized()
    if check.suspended:
        raise ApiError(403, "Your account is suspended")
    if check.relations_version != relations.version:
        return None
    return Viewer(ident.account_id, check.relations_version, check.marks_version), ids, probed


@r.get("/api/v1/timelines/public", params=PublicParams, response=list[Status])
async def public(request: Request) -> Response:
    """Public timeline: public posts, no reposts or replies to others, newest first."""
    viewer = await auth.viewer(request, "read:statuses")
    p = await params.parse(request, PublicParams)
    page = page_of(request)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        ids = await public_ids(conn, viewer.id if viewer else None, page,
                               PublicFilter(p.local, p.remote, p.only_media), ctx.clock.now())
        items = await render(ctx, conn, ids, viewer)
    return raw_json(page_json(items), headers=link_header(request, page, ids))


@r.get("/api/v1/timelines/tag/{hashtag}", params=TagParams, response=list[Status])
async def tag(request: Request) -> Response:
    """Hashtag timeline: public posts with the tag (any[], all[], none[] refine it)."""
    viewer = await auth.viewer(request, "read:statuses")
    p = await params.parse(request, TagParams)
    page = page_of(request)
    ctx = auth.ctx_of(request)
    flt = TagFilter(tuple(p.any), tuple(p.all), tuple(p.none), p.local, p.remote, p.only_media)
    async with ctx.db.read() as conn:
        ids = await tag_ids(conn, viewer.id if viewer else None,
                            request.path_params["hashtag"], page, flt, ctx.clock.now())
        items = await render(ctx, conn, ids, viewer)
    return raw_json(page_json(items), headers=link_header(request, page, ids))


@r.get("/api/v1/accounts/{id}/statuses", params=AccountStatusesParams, response=list[Status])
async def account_statuses(request: Request) -> Response:
    """An account's statuses the viewer may see, newest first."""
    viewer = await auth.viewer(request, "read:statuses")
    account_id = params.parse_id(request.path_params["id"], "Account")
    p = await params.parse(request, AccountStatusesParams)
    page = page_of(request)
    ctx = auth.ctx_of(request)
    flt = AccountFilter(p.only_media, p.exclude_replies, p.exclude_reblogs, p.pinned,
                        p.tagged or None)
    async with ctx.db.read() as conn:
        if await account_row(conn, account_id) is None:
            raise not_found("Account")
        ids = await account_status_ids(conn, viewer.id if viewer else None, account_id, page, flt)
        items = await render(ctx, conn, ids, viewer)
    return raw_json(page_json(items), headers=link_header(request, page, ids))


routes = r.routes

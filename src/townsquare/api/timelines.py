"""/api/v1/timelines: home, public, tag (and lists, from the algorithm issue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth
from townsquare.api.entities import Status
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.queries.statuses import load_ordered
from townsquare.timelines.base import PageQuery

r = Routes()


@r.get("/api/v1/timelines/home", response=list[Status], scope="read:statuses")
async def home(request: Request) -> Response:
    """Home timeline: you and the accounts you follow, newest first."""
    viewer = await auth.require_user(request, "read:statuses")
    page = page_of(request)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        ids = await ctx.timelines.page(conn, PageQuery(viewer, page.limit, page.max_id,
                                                       page.since_id, page.min_id))
        items = await load_ordered(ctx, conn, ids, viewer)
    return ok(items, headers=link_header(request, page, ids))


routes = r.routes

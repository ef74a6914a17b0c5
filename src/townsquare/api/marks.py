"""/api/v1/bookmarks and /api/v1/favourites: the viewer's marked posts, newest mark first,
paginated by the mark's own id (as Mastodon's Link header does)."""

from __future__ import annotations

import msgspec
from sqlalchemy import Table, select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth
from townsquare.api.entities import Status
from townsquare.api.pagination import apply, link_header, ordered, page_of
from townsquare.api.respond import raw_json
from townsquare.api.routing import Routes
from townsquare.queries.status_pages import page_json, render
from townsquare.queries.visibility import blocked_either_way, visible_to
from townsquare.store.tables import bookmarks, favourites, statuses

r = Routes()


class PageParams(msgspec.Struct):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 20


async def _marked(request: Request, table: Table, scope: str) -> Response:
    reader = (await auth.require(request, scope)).viewer
    assert reader is not None
    viewer = reader.id
    page = page_of(request)
    ctx = auth.ctx_of(request)
    stmt = (
        select(table.c.id, table.c.status_id)
        .join(statuses, statuses.c.id == table.c.status_id)
        .where(table.c.account_id == viewer, visible_to(viewer),
               ~blocked_either_way(viewer, statuses.c.account_id))
    )
    async with ctx.db.read() as conn:
        rows = (await conn.execute(apply(stmt, table.c.id, page))).all()
        mark_ids = ordered([row.id for row in rows], page)
        status_of = {row.id: row.status_id for row in rows}
        items = await render(ctx, conn, [status_of[m] for m in mark_ids], reader)
    return raw_json(page_json(items), headers=link_header(request, page, mark_ids))


@r.get("/api/v1/bookmarks", params=PageParams, response=list[Status], scope="read:bookmarks")
async def list_bookmarks(request: Request) -> Response:
    """Statuses the viewer bookmarked, newest bookmark first."""
    return await _marked(request, bookmarks, "read:bookmarks")


@r.get("/api/v1/favourites", params=PageParams, response=list[Status],
       scope="read:favourites")
async def list_favourites(request: Request) -> Response:
    """Statuses the viewer favourited, newest favourite first."""
    return await _marked(request, favourites, "read:favourites")


routes = r.routes

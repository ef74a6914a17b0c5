"""The notifications page; viewing its first page moves the "notifications" read marker."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.markers import save_markers
from townsquare.queries.notifications import NotificationFilter, hydrate, page_rows
from townsquare.web import session, unread
from townsquare.web.listing import next_url, page_of
from townsquare.web.render import Pages, page

p = Pages()

PAGE = 20


@p.get("/notifications")
async def notifications_page(request: Request) -> Response:
    """Mentions, likes, reposts, follows, polls, newest first."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    pg = page_of(request, PAGE)
    fresh = await unread.count(ctx, viewer.id) if pg.max_id is None else 0
    async with ctx.db.read() as conn:
        rows = await page_rows(ctx, conn, viewer.id, pg, NotificationFilter())
        items = await hydrate(ctx, conn, rows, viewer.id)
    if pg.max_id is None and rows and fresh:
        await save_markers(ctx, viewer.id, {"notifications": max(r.id for r in rows)})
    return await page(request, "notifications.html", "_notifications.html",
                      notifications=items, fresh=fresh,
                      next_url=next_url(request, [r.id for r in rows], PAGE),
                      more_page=pg.max_id is not None)


pages = p.routes

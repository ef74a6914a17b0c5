"""Search: accounts, hashtags and (for signed-in people, as on Mastodon) posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.queries import search as sq
from townsquare.queries.accounts import load_accounts
from townsquare.queries.statuses import load_ordered
from townsquare.web import session
from townsquare.web.render import Pages, page

p = Pages()

LIMIT = 10


@p.get("/search")
async def search_page(request: Request) -> Response:
    """Find accounts, hashtags and posts."""
    q = request.query_params.get("q", "").strip()[:200]
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    vid = viewer.id if viewer else None
    accounts, tags, statuses = [], [], []
    if q:
        async with ctx.db.read() as conn:
            ids = await sq.account_ids(conn, ctx.settings, q, vid, limit=LIMIT)
            loaded = await load_accounts(conn, ctx.settings, ids)
            accounts = [loaded[i] for i in ids if i in loaded]
            tags = await sq.hashtags(conn, q, limit=LIMIT)
            if vid is not None:
                sids = await sq.status_ids(conn, q, vid, limit=LIMIT)
                statuses = await load_ordered(ctx, conn, sids, vid)
    return await page(request, "search.html", q=q, accounts=accounts, tags=tags,
                      statuses=statuses)


pages = p.routes

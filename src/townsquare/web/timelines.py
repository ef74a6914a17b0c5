"""Timeline pages: the front page, public, home and hashtag timelines."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.algorithm.feeds import FOLLOWING, FOR_YOU, FOR_YOU_DEFINITION
from townsquare.queries import timelines as tq
from townsquare.queries.statuses import load_ordered
from townsquare.timelines.base import PageQuery
from townsquare.web import feeds, session
from townsquare.web.listing import next_url, page_of
from townsquare.web.render import Pages, page, redirect

p = Pages()


async def _public(request: Request, *, intro: bool) -> Response:
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    vid = viewer.id if viewer else None
    pg = page_of(request)
    async with ctx.db.read() as conn:
        ids = await tq.public_ids(conn, vid, pg, tq.PublicFilter(), ctx.clock.now())
        statuses = await load_ordered(ctx, conn, ids, vid)
    return await page(request, "timeline.html", "_feed.html", heading="Public posts",
                      subtitle="Everything posted publicly on this square, newest first.",
                      statuses=statuses, next_url=next_url(request, ids), intro=intro,
                      show_compose=True, more_page=pg.max_id is not None,
                      empty="No public posts yet.")


@p.get("/")
async def front(request: Request) -> Response:
    """The front page: your home timeline when signed in, public posts otherwise."""
    if await session.viewer(request) is not None:
        return redirect("/home")
    return await _public(request, intro=True)


@p.get("/public")
async def public(request: Request) -> Response:
    """Public posts from everyone, newest first."""
    return await _public(request, intro=False)


@p.get("/home")
async def home(request: Request) -> Response:
    """Your chosen feed: Following (newest first), For you, or a custom feed (ranked)."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    default, tabs = await feeds.feed_choices(request, viewer)
    chosen = request.query_params.get("feed") or default
    if chosen not in {t["id"] for t in tabs}:
        chosen = FOLLOWING
    if chosen != FOLLOWING:
        if chosen == FOR_YOU:
            definition, feed = FOR_YOU_DEFINITION, FOR_YOU
        else:
            _, definition = await feeds.custom_definition(request, viewer, int(chosen))
            feed = f"custom:{chosen}"
        statuses, cursor = await feeds.ranked(request, viewer, feed, definition)
        more = f"/home?feed={chosen}&cursor={cursor}" if cursor else None
        return await page(request, "timeline.html", "_feed.html", heading="Home",
                          subtitle=None, statuses=statuses, next_url=more, intro=False,
                          show_compose=True, tabs=tabs, chosen=chosen,
                          more_page="cursor" in request.query_params,
                          empty="Nothing to recommend yet: follow a few people, or read "
                                "the public posts.")
    pg = page_of(request)
    async with ctx.db.read() as conn:
        ids = await ctx.timelines.page(conn, PageQuery(viewer.id, pg.limit, pg.max_id))
        statuses = await load_ordered(ctx, conn, ids, viewer.id)
    return await page(request, "timeline.html", "_feed.html", heading="Home",
                      subtitle=None, statuses=statuses, next_url=next_url(request, ids),
                      intro=False, show_compose=True, more_page=pg.max_id is not None,
                      tabs=tabs, chosen=chosen,
                      empty="Your home timeline is empty: follow people to see their posts "
                            "here, or look at the public posts.")


@p.get("/tags/{tag}")
async def tag(request: Request) -> Response:
    """Public posts with a hashtag."""
    name = tq.normalise_tag(request.path_params["tag"])
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    vid = viewer.id if viewer else None
    pg = page_of(request)
    async with ctx.db.read() as conn:
        ids = await tq.tag_ids(conn, vid, name, pg, tq.TagFilter(), ctx.clock.now())
        statuses = await load_ordered(ctx, conn, ids, vid)
    return await page(request, "timeline.html", "_feed.html", heading=f"#{name}",
                      subtitle=None, statuses=statuses, next_url=next_url(request, ids),
                      intro=False, show_compose=False, more_page=pg.max_id is not None,
                      empty=f"No public posts with #{name} yet.")


pages = p.routes

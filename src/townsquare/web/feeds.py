"""The algorithm in the web interface: the page that explains it with the live weights and
change log, the ranked feeds (For you, custom feeds) with "Why am I seeing this?", and custom
feeds: write, preview, publish, subscribe, pin, share."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import feeds as acts
from townsquare.actions.errors import ActionError
from townsquare.algorithm.candidate import SOURCES
from townsquare.algorithm.explain import SOURCE_WORDS, public_description
from townsquare.algorithm.feeds import (
    FOLLOWING,
    FOR_YOU,
    FeedDefinition,
    parse_definition,
)
from townsquare.algorithm.serve import serve
from townsquare.algorithm.weights import FEATURES, current
from townsquare.api.entities import Status
from townsquare.queries import choices
from townsquare.queries.statuses import load_ordered
from townsquare.web import session
from townsquare.web.render import Pages, field, fields, page, redirect
from townsquare.web.session import Viewer, WebError

p = Pages()

PAGE = 20
NOT_FOUND = "This feed does not exist, or it is not published."


def _num(raw: str, what: str = "feed") -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise WebError(404, NOT_FOUND if what == "feed" else f"This {what} does not exist.")
    return int(raw)


@p.get("/algorithm")
async def algorithm(request: Request) -> Response:
    """How For you ranks posts, in plain words, with the live weights and the change log."""
    w = current()
    return await page(request, "algorithm.html", d=public_description(w),
                      params=w.params, adjustments=w.adjustments)


async def ranked(request: Request, viewer: Viewer, feed: str, definition: FeedDefinition,
                 *, log: bool = True) -> tuple[list[Status], int | None]:
    """A ranked page, each post carrying its explanation; and the next page's cursor."""
    ctx = session.ctx_of(request)
    raw = request.query_params.get("cursor", "")
    cursor = int(raw) if raw.isdigit() and len(raw) <= 18 and log else None
    try:
        served = await serve(ctx, viewer.id, feed=feed, definition=definition, limit=PAGE,
                             cursor=cursor, log=log)
    except ActionError:
        served = await serve(ctx, viewer.id, feed=feed, definition=definition, limit=PAGE,
                             log=log)  # a stale or foreign cursor: start again
    ids = [x.candidate.status_id for x in served.page]
    async with ctx.db.read() as conn:
        items = await load_ordered(ctx, conn, ids, viewer.id)
    why = served.explanations()
    for status in items:
        status.townsquare = {**(status.townsquare or {}), "ranking": why[int(status.id)]}
    more = served.served_id if log and served.served_id and len(ids) == PAGE else None
    return items, more


async def feed_choices(request: Request, viewer: Viewer) -> tuple[str, list[dict[str, Any]]]:
    """The viewer's default feed and the feeds to switch between."""
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        default = await choices.default_feed(conn, viewer.id) or FOLLOWING
        mine = await choices.my_feeds(conn, viewer.id)
    tabs: list[dict[str, Any]] = [{"id": FOLLOWING, "title": "Following", "row": None},
            {"id": FOR_YOU, "title": "For you", "row": None}]
    tabs += [{"id": str(f.id), "title": f.title, "row": f} for f in mine
             if f.subscribed or f.own]
    return default, tabs


async def custom_definition(request: Request, viewer: Viewer, feed_id: int
                            ) -> tuple[choices.FeedRow, FeedDefinition]:
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await choices.one_feed(conn, feed_id, viewer.id)
    if row is None:
        raise WebError(404, NOT_FOUND)
    return row, parse_definition(row.definition)


@p.post("/home/feed")
async def switch(request: Request, form: FormData) -> Response:
    """Switch the home page to another feed; the choice is remembered as your default."""
    viewer = await session.require_viewer(request)
    await acts.set_default_feed(session.ctx_of(request), viewer.id, field(form, "feed"))
    return redirect("/home")


def _definition_from(form: FormData) -> dict[str, Any]:
    weights: dict[str, float] = {}
    for name in FEATURES:
        raw = field(form, f"w_{name}").strip()
        if raw:
            try:
                weights[name] = float(raw)
            except ValueError:
                raise WebError(422, f"The weight for {name} must be a number.") from None
    raw_min = field(form, "min_engagement").strip() or "0"
    if not raw_min.isdigit():
        raise WebError(422, "The minimum engagement must be a whole number.")
    split = [t.strip() for t in field(form, "tags").replace(",", " ").split() if t.strip()]
    return {"sources": fields(form, "sources"), "tags": split,
            "languages": [x for x in field(form, "languages").replace(",", " ").split() if x],
            "min_engagement": int(raw_min), "replies": bool(field(form, "replies")),
            "weights": weights}


async def _feeds_page(request: Request, viewer: Viewer, *, status: int = 200,
                      error: str | None = None, form: FormData | None = None,
                      preview: list[Status] | None = None) -> Response:
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        mine = await choices.my_feeds(conn, viewer.id)
        published = await choices.published_feeds(conn, viewer.id)
    return await page(request, "feeds.html", status=status, mine=mine, published=published,
                      error=error, form=form or FormData([("replies", "1"),
                                                           ("sources", "in_network")]),
                      sources=SOURCES, source_words=SOURCE_WORDS, features=FEATURES,
                      weights=current().features, preview=preview)


@p.get("/feeds")
async def feeds_page(request: Request) -> Response:
    """Your custom feeds, published feeds to subscribe to, and a form to write one."""
    return await _feeds_page(request, await session.require_viewer(request))


@p.post("/feeds")
async def create(request: Request, form: FormData) -> Response:
    """Preview a definition, or save it as a custom feed."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    try:
        raw = _definition_from(form)
        if field(form, "preview"):
            try:
                definition = parse_definition(raw)
            except ValueError as exc:
                raise WebError(422, str(exc)) from None
            items, _ = await ranked(request, viewer, "preview", definition, log=False)
            return await _feeds_page(request, viewer, form=form, preview=items)
        feed_id = await acts.create_custom_feed(
            ctx, viewer.id, title=field(form, "title"), description=field(form, "description"),
            definition=raw, published=bool(field(form, "published")))
    except (ActionError, WebError) as exc:
        return await _feeds_page(request, viewer, status=exc.status, form=form,
                                 error=exc.message.removeprefix("Validation failed: "))
    return redirect(f"/feeds/{feed_id}")


@p.get("/feeds/{id}")
async def feed_page(request: Request) -> Response:
    """A custom feed's shareable page: its definition and, signed in, its posts."""
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    feed_id = _num(request.path_params["id"])
    async with ctx.db.read() as conn:
        row = await choices.one_feed(conn, feed_id, viewer.id if viewer else None)
    if row is None:
        raise WebError(404, NOT_FOUND)
    items: list[Status] = []
    more = None
    if viewer is not None:
        items, cursor = await ranked(request, viewer, f"custom:{feed_id}",
                                     parse_definition(row.definition))
        more = f"/feeds/{feed_id}?cursor={cursor}" if cursor else None
    return await page(request, "feed.html", "_feed.html", feed=row, statuses=items,
                      next_url=more, source_words=SOURCE_WORDS, more_page=False,
                      empty="No posts match this feed right now.")


FEED_ACTIONS = ("subscribe", "unsubscribe", "pin", "unpin", "publish", "unpublish", "delete")


@p.post("/feeds/{id}/{action}")
async def feed_action(request: Request, form: FormData) -> Response:
    """Subscribe, pin, publish (and undo), or delete a custom feed."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    feed_id = _num(request.path_params["id"])
    action = request.path_params["action"]
    if action not in FEED_ACTIONS:
        raise WebError(404, "No such action.")
    if action in ("subscribe", "pin", "unpin"):
        await acts.subscribe(ctx, viewer.id, feed_id, pinned=action == "pin")
    elif action == "unsubscribe":
        await acts.unsubscribe(ctx, viewer.id, feed_id)
    elif action in ("publish", "unpublish"):
        await acts.update_custom_feed(ctx, viewer.id, feed_id, title=None, description=None,
                                      definition=None, published=action == "publish")
    else:
        await acts.delete_custom_feed(ctx, viewer.id, feed_id)
        return redirect("/feeds")
    return redirect(f"/feeds/{feed_id}")

pages = p.routes

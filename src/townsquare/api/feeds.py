"""Feeds people choose (townsquare's own API, plus Mastodon lists for existing apps):

- GET  /api/v1/townsquare/algorithm: the published weights, version and change log;
- GET  /api/v1/townsquare/feeds, PUT /api/v1/townsquare/feeds/default: choose a feed;
- GET  /api/v1/townsquare/timeline: the chosen feed; .../feeds/for_you, .../feeds/following;
- /api/v1/townsquare/custom_feeds[...]: write, preview, publish, subscribe, pin;
- POST /api/v1/townsquare/statuses/:id/show_more | show_less, DELETE .../feedback;
- POST /api/v1/townsquare/statuses/:id/recommendation, PUT /api/v1/townsquare/recommendation;
- GET  /api/v1/lists, /api/v1/lists/:id, /api/v1/timelines/list/:id: subscribed and own custom
  feeds as read-only Mastodon lists.
Ranked statuses carry their explanation under `townsquare`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import feeds as acts
from townsquare.actions.errors import NotFound
from townsquare.algorithm.explain import public_description
from townsquare.algorithm.feeds import (
    FOLLOWING,
    FOR_YOU,
    FOR_YOU_DEFINITION,
    FeedDefinition,
    parse_definition,
)
from townsquare.algorithm.serve import ServedPage, serve
from townsquare.algorithm.weights import current
from townsquare.api import auth, params
from townsquare.api.entities import Entity, Status
from townsquare.api.errors import ApiError
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok, raw_json
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.queries.status_pages import Viewer, page_json, render
from townsquare.store.tables import custom_feeds, feed_preferences, feed_subscriptions
from townsquare.timelines.base import PageQuery

r = Routes()
_decoder = msgspec.json.Decoder()


class CustomFeed(Entity, kw_only=True):
    id: str
    title: str
    description: str
    definition: dict[str, Any]
    published: bool
    url: str
    account_id: str
    created_at: str
    subscribed: bool = False
    pinned: bool = False


class FeedChoice(Entity, kw_only=True):
    id: str  # following | for_you | a custom feed id
    title: str
    kind: str  # built_in | custom
    pinned: bool = False


class Feeds(Entity, kw_only=True):
    default: str
    feeds: list[FeedChoice]


class MastodonList(Entity, kw_only=True):
    id: str
    title: str
    replies_policy: str = "list"
    exclusive: bool = False


class Recommendation(Entity, kw_only=True):
    recommend: bool


class RankedParams(msgspec.Struct):
    limit: int = 20
    cursor: str | None = None


class DefaultParams(msgspec.Struct):
    feed: str = ""


class FeedParams(msgspec.Struct):
    title: str | None = None
    description: str | None = None
    definition: Any = None
    published: bool | None = None


class PreviewParams(msgspec.Struct):
    definition: Any = None
    limit: int = 20


class SubscribeParams(msgspec.Struct):
    pinned: bool = False


class RecommendParams(msgspec.Struct):
    recommend: bool = True


def _limit(n: int) -> int:
    return max(1, min(n, 40))


def _feed_entity(ctx: Context, row: Any, sub: Any = None) -> CustomFeed:
    return CustomFeed(
        id=str(row.id), title=row.title, description=row.description,
        definition=row.definition, published=row.published,
        url=ctx.url(f"/feeds/{row.id}"), account_id=str(row.account_id),
        created_at=iso(utc(row.created_at)), subscribed=sub is not None,
        pinned=bool(sub.pinned) if sub is not None else False)


async def _ranked_response(request: Request, ctx: Context, viewer: Viewer,
                           served: ServedPage) -> Response:
    ids = [x.candidate.status_id for x in served.page]
    try:
        async with ctx.db.read() as conn:
            # The cached renderer (docs/reads.md), then each item's explanation added under
            # its `townsquare` key: decoding and encoding 20 items costs far less than
            # building them (load_statuses: ~4.5 ms a page on PostgreSQL).
            items = [_decoder.decode(b) for b in await render(ctx, conn, ids, viewer)]
    finally:
        await served.logged()  # written meanwhile (serve's log_concurrently); stored first
    why = served.explanations()
    for status in items:
        status["townsquare"] = {**(status.get("townsquare") or {}),
                                "ranking": why[int(status["id"])]}
    headers = {}
    if served.served_id and items:
        keep = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        base = str(request.url.replace(query="")).rstrip("?")
        headers["Link"] = (f'<{base}?{urlencode([*keep, ("cursor", str(served.served_id))])}>;'
                           ' rel="next"')
    return ok(items, headers=headers)


async def _serve_definition(request: Request, feed: str, definition: FeedDefinition) -> Response:
    viewer = (await auth.require(request, "read:statuses")).viewer
    assert viewer is not None
    p = params.convert(dict(request.query_params), RankedParams)
    cursor = params.parse_id(p.cursor, "Cursor") if p.cursor else None
    ctx = auth.ctx_of(request)
    served = await serve(ctx, viewer.id, feed=feed, definition=definition,
                         limit=_limit(p.limit), cursor=cursor, log_concurrently=True)
    return await _ranked_response(request, ctx, viewer, served)


@r.get("/api/v1/townsquare/algorithm", response=dict[str, Any])
async def algorithm(request: Request) -> Response:
    """The published algorithm: plain words, live weights, version and change log."""
    w = current()
    return ok({**public_description(w), "weights": w.to_dict()})


@r.get("/api/v1/townsquare/feeds/for_you", params=RankedParams, response=list[Status],
       scope="read:statuses")
async def for_you(request: Request) -> Response:
    """The For you feed: ranked, every status explained under townsquare.ranking."""
    return await _serve_definition(request, FOR_YOU, FOR_YOU_DEFINITION)


@r.get("/api/v1/townsquare/feeds/following", response=list[Status], scope="read:statuses")
async def following(request: Request) -> Response:
    """The Following feed: your follows, newest first, no ranking."""
    viewer = (await auth.require(request, "read:statuses")).viewer
    assert viewer is not None
    page = page_of(request)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        ids = await ctx.timelines.page(conn, PageQuery(viewer.id, page.limit, page.max_id,
                                                       page.since_id, page.min_id))
        items = await render(ctx, conn, ids, viewer)
    return raw_json(page_json(items), headers=link_header(request, page, ids))


async def _default(ctx: Context, viewer: int) -> str:
    async with ctx.db.read() as conn:
        chosen = (await conn.execute(select(feed_preferences.c.default_feed).where(
            feed_preferences.c.account_id == viewer))).scalar()
    return str(chosen) if chosen else FOLLOWING


@r.get("/api/v1/townsquare/feeds", response=Feeds, scope="read:statuses")
async def list_feeds(request: Request) -> Response:
    """The feeds you can switch between, and which one is your default."""
    viewer = await auth.require_user(request, "read:statuses")
    ctx = auth.ctx_of(request)
    choices = [FeedChoice(id=FOLLOWING, title="Following", kind="built_in"),
               FeedChoice(id=FOR_YOU, title="For you", kind="built_in")]
    for row, sub in await _my_custom_feeds(ctx, viewer):
        choices.append(FeedChoice(id=str(row.id), title=row.title, kind="custom",
                                  pinned=bool(sub.pinned) if sub is not None else False))
    return ok(Feeds(default=await _default(ctx, viewer), feeds=choices))


@r.put("/api/v1/townsquare/feeds/default", params=DefaultParams, response=Feeds,
       scope="write:accounts")
async def choose_default(request: Request) -> Response:
    """Choose your default feed: following, for_you or a custom feed id."""
    viewer = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, DefaultParams)
    await acts.set_default_feed(auth.ctx_of(request), viewer, p.feed)
    return await list_feeds(request)


@r.get("/api/v1/townsquare/timeline", params=RankedParams, response=list[Status],
       scope="read:statuses")
async def default_timeline(request: Request) -> Response:
    """Your default feed, whichever it is."""
    viewer = await auth.require_user(request, "read:statuses")
    chosen = await _default(auth.ctx_of(request), viewer)
    if chosen == FOLLOWING:
        return await following(request)
    if chosen == FOR_YOU:
        return await for_you(request)
    return await _custom_timeline(request, int(chosen))


async def _my_custom_feeds(ctx: Context, viewer: int) -> list[tuple[Any, Any]]:
    """Feeds the viewer wrote or subscribes to (still readable), oldest first."""
    async with ctx.db.read() as conn:
        rows = (await conn.execute(
            select(custom_feeds, feed_subscriptions.c.pinned.label("sub_pinned"),
                   feed_subscriptions.c.id.label("sub_id"))
            .select_from(custom_feeds.outerjoin(feed_subscriptions, (
                feed_subscriptions.c.feed_id == custom_feeds.c.id)
                & (feed_subscriptions.c.account_id == viewer)))
            .where(or_(custom_feeds.c.account_id == viewer,
                       (feed_subscriptions.c.id.is_not(None)) & custom_feeds.c.published))
            .order_by(custom_feeds.c.id))).all()
    return [(row, _Sub(row.sub_pinned) if row.sub_id is not None else None) for row in rows]


class _Sub(msgspec.Struct):
    pinned: bool


async def _feed_row(request: Request, viewer: int | None) -> tuple[Any, Any]:
    feed_id = params.parse_id(request.path_params["id"], "Feed")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await acts.readable_feed(conn, feed_id, viewer)
        sub = None
        if viewer is not None:
            sub = (await conn.execute(select(feed_subscriptions.c.pinned).where(
                feed_subscriptions.c.account_id == viewer,
                feed_subscriptions.c.feed_id == feed_id))).first()
    return row, sub


@r.post("/api/v1/townsquare/custom_feeds", params=FeedParams, response=CustomFeed,
        scope="write:lists")
async def create_feed(request: Request) -> Response:
    """Write a custom feed (a declarative definition); published ones others can subscribe to."""
    viewer = await auth.require_user(request, "write:lists")
    p = await params.parse(request, FeedParams)
    ctx = auth.ctx_of(request)
    feed_id = await acts.create_custom_feed(
        ctx, viewer, title=p.title or "", description=p.description or "",
        definition=p.definition if p.definition is not None else {},
        published=bool(p.published))
    request.path_params["id"] = str(feed_id)
    row, sub = await _feed_row(request, viewer)
    return ok(_feed_entity(ctx, row, sub))


@r.get("/api/v1/townsquare/custom_feeds", response=list[CustomFeed], scope="read:lists")
async def my_feeds(request: Request) -> Response:
    """Custom feeds you wrote or subscribe to."""
    viewer = await auth.require_user(request, "read:lists")
    ctx = auth.ctx_of(request)
    return ok([_feed_entity(ctx, row, sub) for row, sub in await _my_custom_feeds(ctx, viewer)])


@r.post("/api/v1/townsquare/custom_feeds/preview", params=PreviewParams, response=list[Status],
        scope="read:statuses")
async def preview_feed(request: Request) -> Response:
    """Preview a definition before saving it (not logged)."""
    viewer = (await auth.require(request, "read:statuses")).viewer
    assert viewer is not None
    p = await params.parse(request, PreviewParams)
    try:
        definition = parse_definition(p.definition if p.definition is not None else {})
    except ValueError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None
    ctx = auth.ctx_of(request)
    served = await serve(ctx, viewer.id, feed="preview", definition=definition,
                         limit=_limit(p.limit), log=False)
    return await _ranked_response(request, ctx, viewer, served)


@r.get("/api/v1/townsquare/custom_feeds/{id}", response=CustomFeed)
async def get_feed(request: Request) -> Response:
    """A custom feed's definition (published feeds are public)."""
    viewer = await auth.viewer_id(request, "read:lists")
    row, sub = await _feed_row(request, viewer)
    return ok(_feed_entity(auth.ctx_of(request), row, sub))


@r.patch("/api/v1/townsquare/custom_feeds/{id}", params=FeedParams, response=CustomFeed,
         scope="write:lists")
async def update_feed(request: Request) -> Response:
    """Change your custom feed."""
    viewer = await auth.require_user(request, "write:lists")
    feed_id = params.parse_id(request.path_params["id"], "Feed")
    p = await params.parse(request, FeedParams)
    await acts.update_custom_feed(auth.ctx_of(request), viewer, feed_id, title=p.title,
                                  description=p.description, definition=p.definition,
                                  published=p.published)
    row, sub = await _feed_row(request, viewer)
    return ok(_feed_entity(auth.ctx_of(request), row, sub))


@r.delete("/api/v1/townsquare/custom_feeds/{id}", response=dict[str, Any], scope="write:lists")
async def delete_feed(request: Request) -> Response:
    """Delete your custom feed."""
    viewer = await auth.require_user(request, "write:lists")
    feed_id = params.parse_id(request.path_params["id"], "Feed")
    await acts.delete_custom_feed(auth.ctx_of(request), viewer, feed_id)
    return ok({})


@r.post("/api/v1/townsquare/custom_feeds/{id}/subscribe", params=SubscribeParams,
        response=CustomFeed, scope="write:lists")
async def subscribe_feed(request: Request) -> Response:
    """Subscribe to a custom feed (pinned=true to pin it)."""
    viewer = await auth.require_user(request, "write:lists")
    feed_id = params.parse_id(request.path_params["id"], "Feed")
    p = await params.parse(request, SubscribeParams)
    await acts.subscribe(auth.ctx_of(request), viewer, feed_id, pinned=p.pinned)
    row, sub = await _feed_row(request, viewer)
    return ok(_feed_entity(auth.ctx_of(request), row, sub))


@r.post("/api/v1/townsquare/custom_feeds/{id}/unsubscribe", response=CustomFeed,
        scope="write:lists")
async def unsubscribe_feed(request: Request) -> Response:
    """Stop subscribing to a custom feed."""
    viewer = await auth.require_user(request, "write:lists")
    feed_id = params.parse_id(request.path_params["id"], "Feed")
    await acts.unsubscribe(auth.ctx_of(request), viewer, feed_id)
    row, sub = await _feed_row(request, viewer)
    return ok(_feed_entity(auth.ctx_of(request), row, sub))


async def _custom_timeline(request: Request, feed_id: int) -> Response:
    viewer = await auth.require_user(request, "read:statuses")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await acts.readable_feed(conn, feed_id, viewer)
    return await _serve_definition(request, f"custom:{feed_id}",
                                   parse_definition(row.definition))


@r.get("/api/v1/townsquare/custom_feeds/{id}/timeline", params=RankedParams,
       response=list[Status], scope="read:statuses")
async def custom_timeline(request: Request) -> Response:
    """A custom feed's ranked statuses, each explained."""
    return await _custom_timeline(request, params.parse_id(request.path_params["id"], "Feed"))


async def _feedback(request: Request, kind: str | None) -> Response:
    viewer = await auth.require_user(request, "write:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    await acts.give_feedback(auth.ctx_of(request), viewer, status_id, kind)
    return ok({"feedback": kind})


@r.post("/api/v1/townsquare/statuses/{id}/show_more", response=dict[str, Any],
        scope="write:statuses")
async def show_more(request: Request) -> Response:
    """Show more like this: raises your affinity with the author in ranked feeds."""
    return await _feedback(request, "more")


@r.post("/api/v1/townsquare/statuses/{id}/show_less", response=dict[str, Any],
        scope="write:statuses")
async def show_less(request: Request) -> Response:
    """Show less like this: negative feedback and fatigue for the author in ranked feeds."""
    return await _feedback(request, "less")


@r.delete("/api/v1/townsquare/statuses/{id}/feedback", response=dict[str, Any],
          scope="write:statuses")
async def clear_feedback(request: Request) -> Response:
    """Take back a show more / show less."""
    return await _feedback(request, None)


@r.post("/api/v1/townsquare/statuses/{id}/recommendation", params=RecommendParams,
        response=Recommendation, scope="write:statuses")
async def status_recommendation(request: Request) -> Response:
    """Opt your post out of (recommend=false) or back into recommendation to non-followers."""
    viewer = await auth.require_user(request, "write:statuses")
    status_id = params.parse_id(request.path_params["id"], "Status")
    p = await params.parse(request, RecommendParams)
    await acts.set_status_recommendable(auth.ctx_of(request), viewer, status_id, p.recommend)
    return ok(Recommendation(recommend=p.recommend))


@r.put("/api/v1/townsquare/recommendation", params=RecommendParams, response=Recommendation,
       scope="write:accounts")
async def account_recommendation(request: Request) -> Response:
    """Opt all your posts out of (recommend=false) or back into recommendation."""
    viewer = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, RecommendParams)
    await acts.set_account_recommendable(auth.ctx_of(request), viewer, p.recommend)
    return ok(Recommendation(recommend=p.recommend))


@r.get("/api/v1/lists", response=list[MastodonList], scope="read:lists")
async def lists(request: Request) -> Response:
    """Your own and subscribed custom feeds, shown to Mastodon apps as lists."""
    viewer = await auth.require_user(request, "read:lists")
    ctx = auth.ctx_of(request)
    return ok([MastodonList(id=str(row.id), title=row.title)
               for row, _ in await _my_custom_feeds(ctx, viewer)])


async def _list_row(request: Request, viewer: int) -> Any:
    feed_id = params.parse_id(request.path_params["id"], "List")
    ctx = auth.ctx_of(request)
    for row, _ in await _my_custom_feeds(ctx, viewer):
        if row.id == feed_id:
            return row
    raise NotFound("List")


@r.get("/api/v1/lists/{id}", response=MastodonList, scope="read:lists")
async def get_list(request: Request) -> Response:
    """One custom feed as a Mastodon list."""
    viewer = await auth.require_user(request, "read:lists")
    row = await _list_row(request, viewer)
    return ok(MastodonList(id=str(row.id), title=row.title))


@r.get("/api/v1/timelines/list/{id}", params=RankedParams, response=list[Status],
       scope="read:lists")
async def list_timeline(request: Request) -> Response:
    """A custom feed's statuses for Mastodon apps (ranked; `cursor` pages on)."""
    viewer = await auth.require_user(request, "read:lists")
    row = await _list_row(request, viewer)
    return await _custom_timeline(request, row.id)


routes = r.routes

"""Trends (Mastodon `GET /api/v1/trends/tags` and `/trends/statuses`), ranked honestly, and
why each tag trends (townsquare's own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.api import auth, params
from townsquare.api.entities import Status
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.integrity import rules
from townsquare.queries import trends as q
from townsquare.queries.statuses import load_ordered

r = Routes()


class TrendParams(msgspec.Struct):
    limit: int = 10
    offset: int = 0


def _tag(ctx: Any, name: str, score: Any, now: datetime) -> dict[str, Any]:
    day = int(datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp())
    return {"name": name, "url": ctx.url(f"/tags/{name}"),
            "history": [{"day": str(day), "uses": str(score.uses),
                         "accounts": str(score.voices)}],
            "following": None,
            "townsquare": {"score": round(score.score, 4), "voices": score.voices,
                           "raw_uses": score.uses, "raw_accounts": score.accounts,
                           "new_accounts_not_counted": score.new_accounts,
                           "campaigns_collapsed": len(score.campaigns),
                           "why": q.why(score),
                           "why_url": ctx.url(f"/api/v1/townsquare/trends/why/{name}")}}


def _window(p: TrendParams) -> slice:
    limit = max(1, min(p.limit, 20))
    return slice(max(p.offset, 0), max(p.offset, 0) + limit)


@r.get("/api/v1/trends/tags", params=TrendParams, response=list[dict[str, Any]])
async def trending_tags(request: Request) -> Response:
    """Hashtags used by the most distinct established accounts lately (campaigns once)."""
    ctx = auth.ctx_of(request)
    p = await params.parse(request, TrendParams)
    now = ctx.clock.now()
    async with ctx.db.read() as conn:
        scored, names = await q.tag_trends(conn, now)
    return ok([_tag(ctx, names[int(str(s.key))].lower(), s, now) for s in scored[_window(p)]
               if int(str(s.key)) in names])


@r.get("/api/v1/trends", params=TrendParams, response=list[dict[str, Any]])
async def trends_v1(request: Request) -> Response:
    """Deprecated alias of /api/v1/trends/tags."""
    return await trending_tags(request)


@r.get("/api/v1/trends/statuses", params=TrendParams, response=list[Status])
async def trending_statuses(request: Request) -> Response:
    """Posts reposted and liked by the most distinct established accounts (campaigns once)."""
    ctx = auth.ctx_of(request)
    viewer = await auth.viewer_id(request)
    p = await params.parse(request, TrendParams)
    async with ctx.db.read() as conn:
        scored = await q.status_trends(conn, ctx.clock.now())
        ids = [int(str(s.key)) for s in scored[_window(p)]]
        return ok(await load_ordered(ctx, conn, ids, viewer))


@r.get("/api/v1/townsquare/trends/why/{tag}", response=dict[str, Any])
async def why_trending(request: Request) -> Response:
    """Why a hashtag trends (or not): its voices, raw uses, new accounts, campaigns, the rule."""
    ctx = auth.ctx_of(request)
    name = request.path_params["tag"].lower()
    now = ctx.clock.now()
    async with ctx.db.read() as conn:
        scored, names = await q.tag_trends(conn, now)
    for position, s in enumerate(scored, 1):
        if names.get(int(str(s.key)), "").lower() == name:
            return ok({"tag": name, "trending": True, "rank": position,
                       **_tag(ctx, name, s, now)["townsquare"], "rule": rules.TREND_RULE,
                       "established_rule": rules.ESTABLISHED_RULE})
    if not name:
        raise not_found("Tag")
    return ok({"tag": name, "trending": False, "rank": None,
               "why": "Not enough distinct established voices in the trend window.",
               "rule": rules.TREND_RULE, "established_rule": rules.ESTABLISHED_RULE})


routes = r.routes

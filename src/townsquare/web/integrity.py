"""Integrity pages: trends with why each trends, detected campaigns with their evidence, the
state-affiliated media list; and (in the thread page) a poll's honest result."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.api.entities import Status
from townsquare.integrity import polls as honest
from townsquare.integrity import rules
from townsquare.moderation.policy import LABELS
from townsquare.queries import integrity_view as iv
from townsquare.queries import trends as tq
from townsquare.queries.statuses import load_ordered
from townsquare.web import session
from townsquare.web.render import Pages, page
from townsquare.web.session import WebError

p = Pages()

TRENDS = 20

CAMPAIGN_METHOD = (
    "Accounts are linked when they act on the same post, post near-identical text, use the "
    "same hashtag or choose the same poll option within minutes, far more often than their "
    "activity and the target's popularity predict (the expected count by chance and the "
    "p-value are shown for each link). Members are labelled \"coordinated\"; nothing is "
    "removed for coordination alone. A member can contest the label by appealing its "
    "decision.")
POLL_RULE = (rules.ESTABLISHED_RULE + " Each detected campaign counts as one voter (its "
             "members' majority choice). A burst is a minute with at least "
             f"{honest.BURST_MIN_VOTES} votes and {honest.BURST_FACTOR:g} times the poll's own "
             "rate in the surrounding hour.")


@p.get("/trends")
async def trends(request: Request) -> Response:
    """Trending hashtags and posts, each with why it trends."""
    ctx = session.ctx_of(request)
    viewer = await session.viewer(request)
    now = ctx.clock.now()
    async with ctx.db.read() as conn:
        scored, names = await tq.tag_trends(conn, now)
        tags = [{"name": names[int(str(s.key))].lower(), "score": s, "why": tq.why(s)}
                for s in scored[:TRENDS] if int(str(s.key)) in names]
        post_scores = (await tq.status_trends(conn, now))[:TRENDS]
        posts: list[Status] = await load_ordered(
            ctx, conn, [int(str(s.key)) for s in post_scores], viewer.id if viewer else None)
    why_post = {str(s.key): tq.why(s) for s in post_scores}
    return await page(request, "trends.html", tags=tags, posts=posts, why_post=why_post,
                      rule=rules.TREND_RULE, established=rules.ESTABLISHED_RULE)


@p.get("/campaigns")
async def campaigns(request: Request) -> Response:
    """Detected coordinated campaigns, strongest first."""
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        rows = await iv.campaigns(conn, include_inactive=bool(request.query_params.get("all")))
    return await page(request, "campaigns.html", rows=rows, method=CAMPAIGN_METHOD)


@p.get("/campaigns/{id}")
async def campaign(request: Request) -> Response:
    """One campaign's evidence: members, shared actions with times, similarity scores."""
    ctx = session.ctx_of(request)
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise WebError(404, "This campaign does not exist.")
    async with ctx.db.read() as conn:
        found = await iv.campaign(conn, ctx.settings, int(raw))
    if found is None:
        raise WebError(404, "This campaign does not exist.")
    row, members = found
    names = {m.id: m.username for m in members}
    evidence = row.evidence or {}
    return await page(request, "campaign.html", c=row, members=members, names=names,
                      links=evidence.get("links", []),
                      shared=evidence.get("shared_actions", []), method=CAMPAIGN_METHOD,
                      label=LABELS["coordinated"].description)


@p.get("/state-affiliated-media")
async def state_media(request: Request) -> Response:
    """Accounts labelled state-affiliated media, with the definition and how to contest it."""
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        rows = await iv.state_affiliated(conn, ctx.settings)
    return await page(request, "state_media.html", rows=rows,
                      definition=LABELS["state-affiliated-media"].description)


pages = p.routes

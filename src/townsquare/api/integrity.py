"""Integrity pages, public: detected campaigns with their evidence, honest poll results, the
state-affiliated media list; and the moderators' queue of suspected undeclared automation."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import integrity as actions
from townsquare.api import auth, params
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.integrity import polls as honest
from townsquare.integrity import rules
from townsquare.model.clock import iso, utc
from townsquare.moderation.policy import LABELS
from townsquare.queries import integrity_view as iv
from townsquare.queries.statuses import load_statuses
from townsquare.store.tables import polls

r = Routes()


class ListParams(msgspec.Struct):
    limit: int = 40
    include_inactive: bool = False


def _campaign(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "size": row.size, "score": row.score, "kinds": row.kinds,
            "active": row.active, "window_start": iso(utc(row.window_start)),
            "window_end": iso(utc(row.window_end)), "detected_at": iso(utc(row.detected_at))}


@r.get("/api/v1/townsquare/campaigns", params=ListParams, response=list[dict[str, Any]])
async def list_campaigns(request: Request) -> Response:
    """Detected coordinated campaigns, strongest first (public)."""
    ctx = auth.ctx_of(request)
    p = await params.parse(request, ListParams)
    async with ctx.db.read() as conn:
        rows = await iv.campaigns(conn, include_inactive=p.include_inactive,
                                  limit=max(1, min(p.limit, 200)))
    return ok([{**_campaign(row), "url": ctx.url(f"/api/v1/townsquare/campaigns/{row.id}")}
               for row in rows])


@r.get("/api/v1/townsquare/campaigns/{id}", response=dict[str, Any])
async def campaign(request: Request) -> Response:
    """A campaign's evidence: members, shared actions with times, similarity scores."""
    ctx = auth.ctx_of(request)
    cid = params.parse_id(request.path_params["id"], "Campaign")
    async with ctx.db.read() as conn:
        found = await iv.campaign(conn, ctx.settings, cid)
    if found is None:
        raise not_found("Campaign")
    row, members = found
    return ok({**_campaign(row), "members": members,
               "links": row.evidence.get("links", []),
               "shared_actions": row.evidence.get("shared_actions", []),
               "method": "Accounts are linked when they act on the same post, near-identical "
                         "text, hashtag or poll choice within minutes far more often than "
                         "their activity and the target's popularity predict (expected_by_chance"
                         ", p_value). Members are labelled 'coordinated'; nothing is removed "
                         "for coordination alone. Contest it by appealing the label decision.",
               "label": LABELS["coordinated"].description})


@r.get("/api/v1/townsquare/polls/{id}/integrity", response=dict[str, Any])
async def poll_integrity(request: Request) -> Response:
    """The raw result beside the established-accounts result (campaigns as one voter)."""
    ctx = auth.ctx_of(request)
    viewer = await auth.viewer_id(request)
    poll_id = params.parse_id(request.path_params["id"], "Poll")
    async with ctx.db.read() as conn:
        status_id = (await conn.execute(select(polls.c.status_id).where(polls.c.id == poll_id))
                     ).scalar()
        seen = await load_statuses(ctx, conn, [status_id], viewer) if status_id else {}
        if status_id is None or status_id not in seen:
            raise not_found("Poll")  # no such poll, or its post is not visible to this viewer
        found = await iv.poll_integrity(conn, poll_id, viewer, int(seen[status_id].account.id),
                                        ctx.clock.now())
    if found is None:
        raise not_found("Poll")
    titles, result, hidden = found.titles, found.result, found.hidden

    def share(xs: list[float], total: float) -> list[float]:
        return [round(100 * x / total, 1) if total else 0.0 for x in xs]

    return ok({
        "id": str(poll_id), "options": titles, "hidden_until_closed": hidden,
        "raw": None if hidden else {"votes": result.raw, "voters": result.raw_voters,
                                    "percentages": share([float(x) for x in result.raw],
                                                         float(sum(result.raw)))},
        "established": None if hidden else {
            "votes": [round(x, 2) for x in result.established],
            "voters": round(result.established_voters, 2),
            "percentages": share(result.established, float(sum(result.established)))},
        "votes_from_new_accounts": result.votes_from_new_accounts,
        "new_account_voters": result.voters_new,
        "votes_from_campaigns": result.votes_from_campaigns,
        "campaigns": [{"id": str(c), "voters": n,
                       "url": ctx.url(f"/api/v1/townsquare/campaigns/{c}")}
                      for c, n in result.campaigns.items()],
        "bursts": [{"at": iso(b.minute), "votes_in_a_minute": b.votes,
                    "baseline_per_minute": b.baseline_per_minute,
                    "from_new_accounts": b.new_account_votes} for b in result.bursts],
        "anomalous": bool(result.bursts),
        "rule": rules.ESTABLISHED_RULE + " Each detected campaign counts as one voter (its "
                "members' majority choice). A burst is a minute with at least "
                f"{honest.BURST_MIN_VOTES} votes, {honest.BURST_FACTOR:g} times the poll's "
                "own rate in the surrounding hour, and less likely than "
                f"{honest.BURST_P_VALUE:g} under that rate (Poisson)."})


@r.get("/api/v1/townsquare/state_affiliated_media", response=dict[str, Any])
async def state_affiliated_media(request: Request) -> Response:
    """The public list of accounts labelled state-affiliated media, the definition, contesting."""
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        listed = await iv.state_affiliated(conn, ctx.settings)
    return ok({
        "label": "state-affiliated-media",
        "definition": LABELS["state-affiliated-media"].description,
        "contest": "The labelled account can contest the label by appealing its decision: "
                   "POST /api/v1/townsquare/decisions/:decision_id/appeal (a different "
                   "moderator decides; the outcome is in the public log).",
        "accounts": [{"account": x["account"], "decision_id": str(x["decision_id"]),
                      "since": iso(utc(x["since"]))} for x in listed]})


class QueueParams(msgspec.Struct):
    resolved: bool = False
    limit: int = 40


@r.get("/api/v1/townsquare/moderation/integrity_queue", params=QueueParams,
       response=list[dict[str, Any]], scope="admin:read")
async def integrity_queue_list(request: Request) -> Response:
    """Accounts with signals of undeclared automation, with the evidence (moderators only)."""
    ctx = auth.ctx_of(request)
    await auth.require_moderator(request, "admin:read")
    p = await params.parse(request, QueueParams)
    async with ctx.db.read() as conn:
        rows, found = await iv.automation_queue(conn, ctx.settings, resolved=p.resolved,
                                                limit=max(1, min(p.limit, 200)))
    return ok([{"id": str(r.id), "account": found[r.account_id], "signals": r.signals,
                "reasons": r.reasons, "created_at": iso(utc(r.created_at)),
                "resolved_at": iso(utc(r.resolved_at)) if r.resolved_at else None}
               for r in rows if r.account_id in found])


@r.post("/api/v1/townsquare/moderation/integrity_queue/{id}/resolve", response=dict[str, Any],
        scope="admin:write")
async def resolve(request: Request) -> Response:
    """Mark a queued account as looked at (any action is a separate moderation decision)."""
    ctx = auth.ctx_of(request)
    me = await auth.require_user(request, "admin:write")
    await actions.resolve_queue_entry(ctx, me, params.parse_id(request.path_params["id"],
                                                               "Queue entry"))
    return ok({})


routes = r.routes

"""Reports (Mastodon), the public transparency log and report, appeals, and the moderators'
queue and actions (townsquare's own, under /api/v1/townsquare/...)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import moderation as mod
from townsquare.api import auth, params
from townsquare.api.entities import Account
from townsquare.api.errors import ApiError, not_found
from townsquare.api.pagination import page_of
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.model.clock import iso, utc
from townsquare.moderation.policy import KINDS, LABELS, RULES
from townsquare.queries import moderation as q
from townsquare.queries.accounts import load_accounts

r = Routes()


class Report(msgspec.Struct, kw_only=True):
    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str
    status_ids: list[str]
    rule_ids: list[str]
    target_account: Account


class ReportParams(msgspec.Struct):
    account_id: str = ""
    status_ids: list[str] = []
    comment: str = ""
    forward: bool = False
    category: str = "other"
    rule_ids: list[str] = []


def _report(row: Any, target: Account) -> Report:
    return Report(id=str(row.id), action_taken=row.resolution == "actioned",
                  action_taken_at=iso(utc(row.resolved_at)) if row.resolved_at else None,
                  category=row.category, comment=row.comment, forwarded=row.forward,
                  created_at=iso(utc(row.created_at)), status_ids=list(row.status_ids),
                  rule_ids=list(row.rule_ids), target_account=target)


@r.post("/api/v1/reports", params=ReportParams, response=Report, scope="write:reports")
async def file_report(request: Request) -> Response:
    """Report an account or its posts to the moderators."""
    reporter = await auth.require_user(request, "write:reports")
    p = await params.parse(request, ReportParams)
    ctx = auth.ctx_of(request)
    report_id = await mod.file_report(ctx, reporter, mod.NewReport(
        target_account_id=params.parse_id(p.account_id, "Account"),
        status_ids=params.parse_ids(p.status_ids, "Status"), category=p.category,
        rule_ids=p.rule_ids, comment=p.comment, forward=p.forward))
    async with ctx.db.read() as conn:
        found = await q.one_report(conn, report_id)
        target = await load_accounts(conn, ctx.settings, [found.target_account_id])
    return ok(_report(found, target[found.target_account_id]))


@r.get("/api/v1/townsquare/moderation/policy", response=dict[str, Any])
async def policy(request: Request) -> Response:
    """The actions moderators may take, the rules, and the label vocabulary."""
    return ok({
        "actions": [{"kind": k.name, "visibility_effect": k.visibility_effect,
                     "target": k.target, "description": k.description,
                     "needs_law_or_rule": k.requires_law_or_rule} for k in KINDS.values()],
        "rules": [{"id": x.id, "text": x.text, "hint": x.hint} for x in RULES.values()],
        "labels": [{"value": x.value, "description": x.description,
                    "default_setting": x.default_setting} for x in LABELS.values()],
    })


@r.get("/api/v1/townsquare/transparency/log", response=list[dict[str, Any]])
async def public_log(request: Request) -> Response:
    """The public log: every moderation decision with its statement of reasons."""
    page = page_of(request, default=40, maximum=200)
    qp = request.query_params
    ctx = auth.ctx_of(request)
    kind = qp.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ApiError(422, f"Validation failed: kind must be one of {', '.join(KINDS)}")
    async with ctx.db.read() as conn:
        items = await q.log_page(
            conn, ctx.settings.base_url, max_id=page.max_id, limit=page.limit,
            status_id=params.parse_id(qp["status_id"], "Status") if qp.get("status_id")
            else None,
            account_id=params.parse_id(qp["account_id"], "Account") if qp.get("account_id")
            else None, kind=kind)
    headers = {}
    if len(items) == page.limit:
        headers["Link"] = (f'<{ctx.settings.base_url}/api/v1/townsquare/transparency/log'
                           f'?max_id={items[-1]["id"]}&limit={page.limit}>; rel="next"')
    return ok(items, headers=headers)


@r.get("/api/v1/townsquare/transparency/log/{id}", response=dict[str, Any])
async def public_statement(request: Request) -> Response:
    """One statement of reasons."""
    ctx = auth.ctx_of(request)
    decision_id = params.parse_id(request.path_params["id"], "Decision")
    async with ctx.db.read() as conn:
        item = await q.one_statement(conn, ctx.settings.base_url, decision_id)
    if item is None:
        raise not_found("Decision")
    return ok(item)


@r.get("/api/v1/townsquare/transparency/report", response=dict[str, Any])
async def transparency_report(request: Request) -> Response:
    """Numbers per month: actions by rule, kind, source and automation; appeals; timings.
    `?format=csv` for CSV."""
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        report = await q.transparency_report(conn)
    if request.query_params.get("format") == "csv":
        return Response(q.report_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 'inline; filename="townsquare-transparency.csv"'})
    return ok(report)


@r.get("/api/v1/townsquare/decisions", response=list[dict[str, Any]], scope="read:accounts")
async def my_decisions(request: Request) -> Response:
    """Decisions about the signed-in account, each with its appeal link."""
    account_id = await auth.require_user(request, "read:accounts")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        return ok(await q.decisions_about(conn, ctx.settings.base_url, account_id))


class AppealParams(msgspec.Struct):
    text: str = ""


@r.post("/api/v1/townsquare/decisions/{id}/appeal", params=AppealParams,
        response=dict[str, Any], scope="write:accounts")
async def appeal(request: Request) -> Response:
    """Appeal a decision about your post or account."""
    account_id = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, AppealParams)
    ctx = auth.ctx_of(request)
    decision_id = params.parse_id(request.path_params["id"], "Decision")
    appeal_id = await mod.appeal(ctx, account_id, decision_id, p.text)
    async with ctx.db.read() as conn:
        item = await q.one_statement(conn, ctx.settings.base_url, decision_id)
    return ok({"id": str(appeal_id), "decision": item})




def _report_row(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "reporter_id": str(row.account_id),
            "target_account_id": str(row.target_account_id),
            "status_ids": list(row.status_ids), "category": row.category,
            "rule_ids": list(row.rule_ids), "comment": row.comment,
            "created_at": iso(utc(row.created_at)),
            "resolved_at": iso(utc(row.resolved_at)) if row.resolved_at else None,
            "resolution": row.resolution}


@r.get("/api/v1/townsquare/moderation/reports", response=list[dict[str, Any]],
       scope="admin:read")
async def report_queue(request: Request) -> Response:
    """The moderators' queue of reports (oldest first)."""
    await auth.require_moderator(request, "admin:read")
    ctx = auth.ctx_of(request)
    resolved = request.query_params.get("resolved", "false").lower() in ("1", "true")
    async with ctx.db.read() as conn:
        rows = await q.report_queue(conn, resolved=resolved, limit=200)
    return ok([_report_row(x) for x in rows])


@r.post("/api/v1/townsquare/moderation/reports/{id}/dismiss", response=dict[str, Any],
        scope="admin:write")
async def dismiss(request: Request) -> Response:
    """Close a report without action."""
    moderator = await auth.require_moderator(request, "admin:write")
    await mod.dismiss_report(auth.ctx_of(request), moderator,
                             params.parse_id(request.path_params["id"], "Report"))
    return ok({})


class DecisionParams(msgspec.Struct):
    kind: str = ""
    facts: str = ""
    ground_type: str = "rule"
    ground_reference: str = ""
    ground_text: str = ""
    status_id: str | None = None
    account_id: str | None = None
    label: str | None = None
    duration_days: int | None = None
    report_id: str | None = None


@r.post("/api/v1/townsquare/moderation/decisions", params=DecisionParams,
        response=dict[str, Any], scope="admin:write")
async def take_action(request: Request) -> Response:
    """Take a moderation action; its statement of reasons is published in the log."""
    moderator = await auth.require_moderator(request, "admin:write")
    p = await params.parse(request, DecisionParams)
    ctx = auth.ctx_of(request)
    decision_id = await mod.decide(ctx, moderator, mod.DecisionRequest(
        kind=p.kind, facts=p.facts, ground_type=p.ground_type,
        ground_reference=p.ground_reference, ground_text=p.ground_text,
        status_id=params.parse_id(p.status_id, "Status") if p.status_id else None,
        account_id=params.parse_id(p.account_id, "Account") if p.account_id else None,
        label=p.label or None, duration_days=p.duration_days,
        source="report" if p.report_id else "moderator",
        report_id=params.parse_id(p.report_id, "Report") if p.report_id else None))
    async with ctx.db.read() as conn:
        return ok(await q.one_statement(conn, ctx.settings.base_url, decision_id))


@r.get("/api/v1/townsquare/moderation/appeals", response=list[dict[str, Any]],
       scope="admin:read")
async def appeal_queue(request: Request) -> Response:
    """Appeals waiting for a (different) moderator."""
    await auth.require_moderator(request, "admin:read")
    ctx = auth.ctx_of(request)
    pending = request.query_params.get("pending", "true").lower() in ("1", "true")
    async with ctx.db.read() as conn:
        rows = await q.appeal_queue(conn, pending=pending, limit=200)
    return ok([{"id": str(x.id), "decision_id": str(x.decision_id), "text": x.text,
                "kind": x.kind, "facts": x.facts, "content": x.content_snapshot,
                "status_id": str(x.target_status_id) if x.target_status_id else None,
                "first_moderator_id": str(x.moderator_id) if x.moderator_id else None,
                "created_at": iso(utc(x.created_at)), "outcome": x.outcome} for x in rows])


class AppealDecisionParams(msgspec.Struct):
    outcome: str = ""
    reason: str = ""


@r.post("/api/v1/townsquare/moderation/appeals/{id}/decide", params=AppealDecisionParams,
        response=dict[str, Any], scope="admin:write")
async def decide_appeal(request: Request) -> Response:
    """Uphold or reverse a decision on appeal (not by the moderator who made it)."""
    moderator = await auth.require_moderator(request, "admin:write")
    p = await params.parse(request, AppealDecisionParams)
    ctx = auth.ctx_of(request)
    await mod.decide_appeal(ctx, moderator, params.parse_id(request.path_params["id"], "Appeal"),
                            p.outcome, p.reason)
    return ok({})


routes = r.routes

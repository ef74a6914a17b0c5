"""Moderation in the web interface: the public transparency log and report, reporting a post
or an account, the author's decisions with the appeal form, and the moderators' page (report
queue, appeal queue). Writes go through actions/moderation.py, which checks roles again."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import moderation as mod
from townsquare.moderation.policy import KINDS, LABELS, RULES
from townsquare.queries import moderation as q
from townsquare.queries.accounts import account_by_username, account_row, load_accounts
from townsquare.queries.statuses import load_one, load_statuses
from townsquare.web import session
from townsquare.web.render import Pages, field, fields, page, redirect, safe_next
from townsquare.web.session import WebError

p = Pages()

LOG_PAGE = 40
CATEGORIES = {"spam": "Spam or manipulation", "violation": "It breaks a rule of this square",
              "legal": "It is illegal", "other": "Something else"}


def _id(raw: str, what: str = "page") -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise WebError(404, f"This {what} does not exist.")
    return int(raw)


@p.get("/transparency")
async def log(request: Request) -> Response:
    """The public log: every moderation decision with its statement of reasons."""
    ctx = session.ctx_of(request)
    qp = request.query_params
    kind = qp.get("kind") or None
    if kind is not None and kind not in KINDS:
        kind = None
    raw_max = qp.get("max_id", "")
    max_id = int(raw_max) if raw_max.isdigit() and len(raw_max) <= 18 else None
    raw_status = qp.get("status_id", "")
    status_id = int(raw_status) if raw_status.isdigit() and len(raw_status) <= 18 else None
    who = qp.get("account", "").strip().lstrip("@")[:30]
    async with ctx.db.read() as conn:
        account_id = None
        if who:
            row = await account_by_username(conn, who)
            account_id = row.id if row is not None else -1
        items = await q.log_page(conn, ctx.settings.base_url, max_id=max_id, limit=LOG_PAGE,
                                 status_id=status_id, account_id=account_id, kind=kind)
    next_url = None
    if len(items) == LOG_PAGE:
        keep = [(k, v) for k, v in qp.multi_items() if k != "max_id"]
        next_url = "/transparency?" + urlencode([*keep, ("max_id", items[-1]["id"])])
    return await page(request, "transparency.html", items=items, kinds=KINDS, kind=kind,
                      who=who, status_id=status_id, next_url=next_url, rules=RULES)


@p.get("/transparency/report")
async def report_numbers(request: Request) -> Response:
    """Numbers per month, from the log itself."""
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        report = await q.transparency_report(conn)
    return await page(request, "transparency_report.html", report=report, kinds=KINDS)


@p.get("/transparency/{id}")
async def statement(request: Request) -> Response:
    """One statement of reasons."""
    ctx = session.ctx_of(request)
    decision_id = _id(request.path_params["id"], "decision")
    async with ctx.db.read() as conn:
        item = await q.one_statement(conn, ctx.settings.base_url, decision_id)
    if item is None:
        raise WebError(404, "This decision does not exist.")
    return await page(request, "statement.html", d=item, kind=KINDS.get(item["decision"]),
                      rules=RULES)


@p.get("/report")
async def report_form(request: Request) -> Response:
    """Report a post (`?status_id=`) or an account (`?account=`) to the moderators."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    qp = request.query_params
    post = None
    async with ctx.db.read() as conn:
        if qp.get("status_id"):
            post = await load_one(ctx, conn, _id(qp["status_id"], "post"), viewer.id)
            if post is None:
                raise WebError(404, "This post does not exist, or you may not see it.")
            post = post.reblog or post
            target = post.account
        else:
            row = await account_by_username(conn, qp.get("account", "")[:30])
            if row is None:
                raise WebError(404, "There is no account with this name here.")
            target = (await load_accounts(conn, ctx.settings, [row.id]))[row.id]
    if target.id == viewer.account.id:
        raise WebError(422, "You cannot report yourself.")
    return await page(request, "report.html", post=post, target=target, rules=RULES,
                      categories=CATEGORIES, error=None, sent=False)


@p.post("/reports")
async def file_report(request: Request, form: FormData) -> Response:
    """Send a report."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    raw_status = field(form, "status_id")
    new = mod.NewReport(target_account_id=_id(field(form, "account_id"), "account"),
                        status_ids=[_id(raw_status, "post")] if raw_status else [],
                        category=field(form, "category", "other"),
                        rule_ids=fields(form, "rule_ids"), comment=field(form, "comment"),
                        forward=bool(field(form, "forward")))
    await mod.file_report(ctx, viewer.id, new)
    return await page(request, "report.html", post=None, target=None, rules=RULES,
                      categories=CATEGORIES, error=None, sent=True,
                      back=safe_next(field(form, "next"), "/home"))


@p.get("/decisions")
async def decisions(request: Request) -> Response:
    """Decisions about your posts or account, each with its statement and an appeal form."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        items = await q.decisions_about(conn, ctx.settings.base_url, viewer.id)
        ids = [int(d["status_id"]) for d in items if d["status_id"]]
        posts = await load_statuses(ctx, conn, ids, viewer.id)
    return await page(request, "decisions.html", items=items, posts=posts, kinds=KINDS,
                      appealed=bool(request.query_params.get("appealed")))


@p.post("/decisions/{id}/appeal")
async def appeal(request: Request, form: FormData) -> Response:
    """Appeal a decision; a different moderator decides."""
    viewer = await session.require_viewer(request)
    await mod.appeal(session.ctx_of(request), viewer.id, _id(request.path_params["id"],
                                                             "decision"), field(form, "text"))
    return redirect("/decisions?appealed=1")


async def _moderator(request: Request) -> Any:
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await account_row(conn, viewer.id)
    if row is None or row.role not in mod.MODERATOR_ROLES:
        raise WebError(403, "Only moderators can see this page.")
    return viewer


@p.get("/moderation")
async def queue(request: Request) -> Response:
    """The moderators' page: open reports and appeals waiting for a decision."""
    viewer = await _moderator(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        reports = await q.report_queue(conn, resolved=False, limit=100)
        appeals = await q.appeal_queue(conn, pending=True, limit=100)
        people = await load_accounts(conn, ctx.settings, {
            *(r.account_id for r in reports), *(r.target_account_id for r in reports),
            *(a.account_id for a in appeals)})
        sids = {int(s) for r in reports for s in r.status_ids if str(s).isdigit()}
        posts = await load_statuses(ctx, conn, sorted(sids), viewer.id)
    return await page(request, "moderation.html", reports=reports, appeals=appeals,
                      people=people, posts=posts, kinds=KINDS, rules=RULES, labels=LABELS,
                      categories=CATEGORIES, done=request.query_params.get("done", ""))


@p.post("/moderation/reports/{id}/dismiss")
async def dismiss(request: Request, form: FormData) -> Response:
    """Close a report without action."""
    viewer = await _moderator(request)
    await mod.dismiss_report(session.ctx_of(request), viewer.id,
                             _id(request.path_params["id"], "report"))
    return redirect("/moderation?done=dismissed")


@p.post("/moderation/decisions")
async def decide(request: Request, form: FormData) -> Response:
    """Take an action on a report, citing a rule or a law; it is published in the log."""
    viewer = await _moderator(request)
    raw_days = field(form, "duration_days").strip()
    raw_report = field(form, "report_id")
    raw_status = field(form, "status_id")
    kind = KINDS.get(field(form, "kind"))
    ground_type = field(form, "ground_type", "rule")
    try:
        req = mod.DecisionRequest(
            kind=field(form, "kind"), facts=field(form, "facts"), ground_type=ground_type,
            ground_reference=field(form, "rule" if ground_type == "rule" else "law"),
            ground_text=field(form, "law_text"),
            status_id=_id(raw_status, "post") if raw_status and kind and kind.target == "status"
            else None,
            account_id=_id(field(form, "account_id"), "account")
            if kind and kind.target == "account" else None,
            label=field(form, "label") or None,
            duration_days=int(raw_days) if raw_days else None,
            source="report" if raw_report else "moderator",
            report_id=_id(raw_report, "report") if raw_report else None)
    except ValueError:
        raise WebError(422, "The duration must be a number of days.") from None
    decision_id = await mod.decide(session.ctx_of(request), viewer.id, req)
    return redirect(f"/moderation?done={decision_id}")


@p.post("/moderation/appeals/{id}/decide")
async def decide_appeal(request: Request, form: FormData) -> Response:
    """Uphold or reverse a decision on appeal (not the moderator who made it)."""
    viewer = await _moderator(request)
    await mod.decide_appeal(session.ctx_of(request), viewer.id,
                            _id(request.path_params["id"], "appeal"),
                            field(form, "outcome"), field(form, "reason"))
    return redirect("/moderation?done=appeal")


pages = p.routes

"""Read paths of moderation: the public log, one statement, the queues, the numbers.

The public log shows every decision with its statement of reasons, but never who reported,
which moderator decided (only that a moderator or an automated system did), the content that
was decided on, or an appeal's text: those are personal data.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import iso, utc
from townsquare.store.tables import accounts
from townsquare.store.tables_moderation import appeals, moderation_decisions, reports


def statement(row: Any, base_url: str) -> dict[str, Any]:
    appeal = None
    if row.appeal_id is not None:
        appeal = {"state": "decided" if row.appeal_decided_at else "pending",
                  "outcome": row.appeal_outcome,
                  "created_at": iso(utc(row.appeal_created_at)),
                  "decided_at": iso(utc(row.appeal_decided_at)) if row.appeal_decided_at
                  else None}
    return {
        "id": str(row.id),
        "url": f"{base_url}/api/v1/townsquare/transparency/log/{row.id}",
        "decision": row.kind,
        "visibility_effect": row.visibility_effect,
        "label": row.label,
        "account": {"id": str(row.target_account_id), "acct": row.username},
        "status_id": str(row.target_status_id) if row.target_status_id else None,
        "territorial_scope": "global",
        "duration": {"ends_at": iso(utc(row.ends_at)) if row.ends_at else None,
                     "indefinite": row.ends_at is None},
        "facts": row.facts,
        "ground": {"type": row.ground_type, "reference": row.ground_reference,
                   "text": row.ground_text},
        "automated_detection": row.automated_detection,
        "automated_decision": row.automated_decision,
        "source": row.source,
        "decided_by": "automated" if row.moderator_id is None else "moderator",
        "created_at": iso(utc(row.created_at)),
        "reversed_at": iso(utc(row.reversed_at)) if row.reversed_at else None,
        "expired_at": iso(utc(row.expired_at)) if row.expired_at else None,
        "in_force": row.reversed_at is None and row.expired_at is None,
        "appeal": appeal,
    }


def _log_query() -> Any:
    d = moderation_decisions
    return (select(d, accounts.c.username, appeals.c.id.label("appeal_id"),
                   appeals.c.created_at.label("appeal_created_at"),
                   appeals.c.decided_at.label("appeal_decided_at"),
                   appeals.c.outcome.label("appeal_outcome"))
            .join(accounts, accounts.c.id == d.c.target_account_id)
            .outerjoin(appeals, appeals.c.decision_id == d.c.id))


async def log_page(conn: AsyncConnection, base_url: str, *, max_id: int | None, limit: int,
                   status_id: int | None = None, account_id: int | None = None,
                   kind: str | None = None) -> list[dict[str, Any]]:
    d = moderation_decisions
    stmt = _log_query()
    if max_id is not None:
        stmt = stmt.where(d.c.id < max_id)
    if status_id is not None:
        stmt = stmt.where(d.c.target_status_id == status_id)
    if account_id is not None:
        stmt = stmt.where(d.c.target_account_id == account_id)
    if kind is not None:
        stmt = stmt.where(d.c.kind == kind)
    rows = (await conn.execute(stmt.order_by(d.c.id.desc()).limit(limit))).all()
    return [statement(r, base_url) for r in rows]


async def one_statement(conn: AsyncConnection, base_url: str,
                        decision_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(_log_query().where(moderation_decisions.c.id == decision_id))
           ).first()
    return statement(row, base_url) if row else None


async def decisions_about(conn: AsyncConnection, base_url: str,
                          account_id: int) -> list[dict[str, Any]]:
    """An author's own decisions, each with what they may do next."""
    rows = (await conn.execute(_log_query()
                               .where(moderation_decisions.c.target_account_id == account_id)
                               .order_by(moderation_decisions.c.id.desc()))).all()
    out = []
    for r in rows:
        item = statement(r, base_url)
        item["can_appeal"] = r.appeal_id is None and r.reversed_at is None
        item["appeal_url"] = f"{base_url}/api/v1/townsquare/decisions/{r.id}/appeal"
        out.append(item)
    return out


async def report_queue(conn: AsyncConnection, *, resolved: bool, limit: int) -> list[Any]:
    stmt = select(reports)
    stmt = stmt.where(reports.c.resolved_at.is_not(None) if resolved
                      else reports.c.resolved_at.is_(None))
    return list((await conn.execute(stmt.order_by(reports.c.id).limit(limit))).all())


async def one_report(conn: AsyncConnection, report_id: int) -> Any:
    return (await conn.execute(select(reports).where(reports.c.id == report_id))).one()


async def appeal_queue(conn: AsyncConnection, *, pending: bool, limit: int) -> list[Any]:
    stmt = (select(appeals, moderation_decisions.c.kind, moderation_decisions.c.facts,
                   moderation_decisions.c.moderator_id, moderation_decisions.c.content_snapshot,
                   moderation_decisions.c.target_status_id)
            .join(moderation_decisions, moderation_decisions.c.id == appeals.c.decision_id))
    stmt = stmt.where(appeals.c.decided_at.is_(None) if pending
                      else appeals.c.decided_at.is_not(None))
    return list((await conn.execute(stmt.order_by(appeals.c.id).limit(limit))).all())


def _month(dt: Any) -> str:
    return utc(dt).strftime("%Y-%m")


async def transparency_report(conn: AsyncConnection) -> dict[str, Any]:
    """Santa Clara-style numbers per month, computed from the log itself."""
    decisions = (await conn.execute(select(
        moderation_decisions.c.id, moderation_decisions.c.kind,
        moderation_decisions.c.ground_type, moderation_decisions.c.ground_reference,
        moderation_decisions.c.source, moderation_decisions.c.automated_decision,
        moderation_decisions.c.automated_detection, moderation_decisions.c.created_at,
        moderation_decisions.c.reversed_at))).all()
    appeal_rows = (await conn.execute(select(appeals.c.created_at, appeals.c.decided_at,
                                             appeals.c.outcome))).all()
    report_rows = (await conn.execute(select(reports.c.created_at, reports.c.resolved_at,
                                             reports.c.resolution))).all()
    months: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "actions": 0, "by_kind": Counter(), "by_ground": Counter(), "by_source": Counter(),
        "automated_decisions": 0, "automated_detections": 0, "reports": 0,
        "reports_actioned": 0, "reports_dismissed": 0, "report_hours": [],
        "appeals": 0, "appeals_decided": 0, "reversals": 0, "appeal_hours": []})
    for d in decisions:
        m = months[_month(d.created_at)]
        m["actions"] += 1
        m["by_kind"][d.kind] += 1
        m["by_ground"][f"{d.ground_type}:{d.ground_reference}"] += 1
        m["by_source"][d.source] += 1
        m["automated_decisions"] += int(d.automated_decision)
        m["automated_detections"] += int(d.automated_detection)
    for r in report_rows:
        m = months[_month(r.created_at)]
        m["reports"] += 1
        if r.resolved_at is not None:
            m["reports_" + (r.resolution or "dismissed")] += 1
            m["report_hours"].append((utc(r.resolved_at) - utc(r.created_at)).total_seconds()
                                     / 3600)
    for a in appeal_rows:
        m = months[_month(a.created_at)]
        m["appeals"] += 1
        if a.decided_at is not None:
            m["appeals_decided"] += 1
            m["reversals"] += int(a.outcome == "reversed")
            m["appeal_hours"].append((utc(a.decided_at) - utc(a.created_at)).total_seconds()
                                     / 3600)
    out = []
    for month in sorted(months):
        m = months[month]
        out.append({
            "month": month, "actions": m["actions"], "by_kind": dict(m["by_kind"]),
            "by_ground": dict(m["by_ground"]), "by_source": dict(m["by_source"]),
            "automated_decisions": m["automated_decisions"],
            "automated_detections": m["automated_detections"],
            "reports": m["reports"], "reports_actioned": m["reports_actioned"],
            "reports_dismissed": m["reports_dismissed"],
            "median_hours_to_report_decision": _median(m["report_hours"]),
            "appeals": m["appeals"], "appeals_decided": m["appeals_decided"],
            "reversals": m["reversals"],
            "reversal_rate": round(m["reversals"] / m["appeals_decided"], 4)
            if m["appeals_decided"] else None,
            "median_hours_to_appeal_decision": _median(m["appeal_hours"]),
        })
    return {"months": out, "computed": "from the public log: every decision, report and "
            "appeal counted once in the month it was made; medians over decided items only"}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


CSV_COLUMNS = ["month", "actions", "automated_decisions", "automated_detections", "reports",
               "reports_actioned", "reports_dismissed", "median_hours_to_report_decision",
               "appeals", "appeals_decided", "reversals", "reversal_rate",
               "median_hours_to_appeal_decision", "by_kind", "by_ground", "by_source"]


def report_csv(report: dict[str, Any]) -> str:
    import csv
    import io
    import json

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for m in report["months"]:
        writer.writerow([json.dumps(m[c], sort_keys=True) if isinstance(m[c], dict)
                         else ("" if m[c] is None else m[c]) for c in CSV_COLUMNS])
    return buf.getvalue()

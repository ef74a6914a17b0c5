"""Moderation, the only write path that changes who can see a post or an account.

`decide` is the one entry point for every visibility-affecting action. In one transaction it
writes the statement of reasons (which is also the public log entry), applies the effect,
and notifies the affected author with the statement and a way to appeal. There is no other
function that writes the moderation state tables or suspends an account (a test scans the
source to keep it so). Appeals are decided by a different moderator; a reversal undoes the
effect by recomputing the state from the decisions still in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from townsquare.actions.errors import Conflict, Forbidden, Invalid, NotFound
from townsquare.context import Context
from townsquare.moderation.policy import (
    GROUND_TYPES,
    KINDS,
    LABELS,
    MODERATOR_ROLES,
    PLATFORM_LABELER,
    RULES,
)
from townsquare.store.db import Tx
from townsquare.store.tables import accounts, notifications, statuses, tokens
from townsquare.store.tables_moderation import (
    account_moderation,
    appeals,
    decision_notifications,
    labels,
    moderation_decisions,
    reports,
    status_moderation,
)
from townsquare.store.upsert import insert_ignore
from townsquare.timelines import events

REPORT_CATEGORIES = ("spam", "legal", "violation", "other")
MAX_TEXT = 5000


@dataclass(frozen=True)
class DecisionRequest:
    kind: str
    facts: str
    ground_type: str  # law | rule
    ground_reference: str  # a rule id ("3") or a legal citation
    ground_text: str = ""  # the law quoted; filled from the rule for rules
    status_id: int | None = None
    account_id: int | None = None
    label: str | None = None
    duration_days: int | None = None
    source: str = "moderator"  # report | moderator | automated
    report_id: int | None = None
    automated_detection: bool = False


@dataclass(frozen=True)
class NewReport:
    target_account_id: int
    status_ids: list[int] = field(default_factory=list)
    category: str = "other"
    rule_ids: list[str] = field(default_factory=list)
    comment: str = ""
    forward: bool = False


async def _role(tx: Tx, account_id: int) -> str:
    role = (await tx.execute(select(accounts.c.role).where(accounts.c.id == account_id))
            ).scalar_one_or_none()
    if role is None:
        raise NotFound("Account")
    return str(role)


async def require_moderator(tx: Tx, account_id: int) -> None:
    if await _role(tx, account_id) not in MODERATOR_ROLES:
        raise Forbidden("Only moderators can do this")


def _check_request(req: DecisionRequest, moderator_id: int | None) -> tuple[str, str]:
    kind = KINDS.get(req.kind)
    if kind is None:
        raise Invalid(f"Validation failed: kind must be one of {', '.join(KINDS)}")
    if not req.facts.strip() or len(req.facts) > MAX_TEXT:
        raise Invalid("Validation failed: a statement of reasons needs the facts "
                      f"(1-{MAX_TEXT} characters)")
    if req.ground_type not in GROUND_TYPES:
        raise Invalid("Validation failed: ground_type must be 'law' or 'rule'")
    reference = req.ground_reference.strip()
    if req.ground_type == "rule":
        rule = RULES.get(reference)
        if rule is None:
            raise Invalid(f"Validation failed: unknown rule {reference!r} "
                          f"(rules: {', '.join(RULES)})")
        ground_text = f"{rule.text} {rule.hint}"
    else:
        if not reference or not req.ground_text.strip():
            raise Invalid("Validation failed: a legal ground needs the law's reference and "
                          "its text quoted")
        ground_text = req.ground_text.strip()
    if kind.requires_label and (req.label is None or req.label not in LABELS):
        raise Invalid(f"Validation failed: label must be one of {', '.join(LABELS)}")
    if kind.target == "status" and req.status_id is None:
        raise Invalid("Validation failed: this action needs a status_id")
    if kind.target == "account" and req.account_id is None:
        raise Invalid("Validation failed: this action needs an account_id")
    if req.duration_days is not None and not 1 <= req.duration_days <= 3650:
        raise Invalid("Validation failed: duration_days must be 1-3650")
    if req.source not in ("report", "moderator", "automated"):
        raise Invalid("Validation failed: source must be report, moderator or automated")
    if req.source == "report" and req.report_id is None:
        raise Invalid("Validation failed: a decision on a report needs the report_id")
    if moderator_id is None and req.source != "automated":
        raise Invalid("Validation failed: only automated decisions have no moderator")
    if moderator_id is None and not kind.requires_label:
        # A score alone never restricts anyone: automation may only label.
        raise Forbidden("Automated decisions may only add labels; a moderator decides the rest")
    return reference, ground_text


async def decide(ctx: Context, moderator_id: int | None, req: DecisionRequest) -> int:
    """Apply one moderation action with its statement of reasons, notice and log entry."""
    reference, ground_text = _check_request(req, moderator_id)
    kind = KINDS[req.kind]
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        if moderator_id is not None:
            await require_moderator(tx, moderator_id)
        snapshot = ""
        if kind.target == "status":
            row = (await tx.execute(select(statuses.c.account_id, statuses.c.text)
                                    .where(statuses.c.id == req.status_id))).first()
            if row is None:
                raise NotFound("Status")
            target_account_id, snapshot = row.account_id, row.text
        else:
            assert req.account_id is not None
            await _role(tx, req.account_id)  # exists
            target_account_id = req.account_id
        if moderator_id is not None and target_account_id == moderator_id:
            raise Forbidden("Moderators cannot decide on their own posts or account")
        if req.report_id is not None:
            report = (await tx.execute(select(reports).where(reports.c.id == req.report_id))
                      ).first()
            if report is None:
                raise NotFound("Report")
            if report.target_account_id != target_account_id:
                raise Invalid("Validation failed: the report is about another account")
        decision_id = ctx.ids.next()
        await tx.execute(insert(moderation_decisions).values(
            id=decision_id, kind=kind.name, label=req.label,
            target_account_id=target_account_id, target_status_id=req.status_id,
            visibility_effect=kind.visibility_effect,
            ends_at=now + timedelta(days=req.duration_days) if req.duration_days else None,
            facts=req.facts.strip(), ground_type=req.ground_type, ground_reference=reference,
            ground_text=ground_text, automated_detection=req.automated_detection
            or req.source == "automated", automated_decision=moderator_id is None,
            source=req.source, report_id=req.report_id, moderator_id=moderator_id,
            content_snapshot=snapshot, created_at=now))
        if kind.requires_label:
            await tx.execute(insert(labels).values(
                id=ctx.ids.next(), labeler_id=PLATFORM_LABELER, value=req.label,
                status_id=req.status_id if kind.target == "status" else None,
                account_id=target_account_id if kind.target == "account" else None,
                decision_id=decision_id, created_at=now))
        await _recompute(ctx, tx, target_account_id, req.status_id)
        if req.report_id is not None:
            await tx.execute(update(reports).where(reports.c.id == req.report_id).values(
                resolved_at=now, resolved_by=moderator_id, resolution="actioned"))
        await _notify_decision(ctx, tx, target_account_id, decision_id, req.status_id)
        if kind.name == "remove" and req.status_id is not None:
            removed = req.status_id
            # Open streams drop it too (each subscriber's view is hydrated, so it cannot
            # come back through them).
            tx.after_commit(lambda: events.publish_delete(ctx, removed))
    return decision_id


async def _notify_decision(ctx: Context, tx: Tx, account_id: int, decision_id: int,
                           status_id: int | None) -> None:
    notification_id = ctx.ids.next()
    await tx.execute(insert(notifications).values(
        id=notification_id, account_id=account_id, from_account_id=account_id,
        type="moderation_warning", status_id=status_id, created_at=ctx.clock.now()))
    await tx.execute(insert(decision_notifications).values(
        notification_id=notification_id, decision_id=decision_id))


def _in_force(now: Any) -> Any:
    return and_(moderation_decisions.c.reversed_at.is_(None),
                moderation_decisions.c.expired_at.is_(None),
                or_(moderation_decisions.c.ends_at.is_(None),
                    moderation_decisions.c.ends_at > now))


async def _recompute(ctx: Context, tx: Tx, account_id: int, status_id: int | None) -> None:
    """Derive the moderation state from the decisions in force (never set it by hand)."""
    now = ctx.clock.now()
    if status_id is not None:
        kinds = set((await tx.execute(
            select(moderation_decisions.c.kind).where(
                moderation_decisions.c.target_status_id == status_id, _in_force(now))
        )).scalars())
        values = {"reach_limited": "limit_reach" in kinds, "interstitial": "interstitial" in kinds,
                  "removed": "remove" in kinds, "updated_at": now}
        inserted = await insert_ignore(tx, status_moderation,
                                       [{"status_id": status_id, **values}], ["status_id"])
        if not inserted:
            await tx.execute(update(status_moderation)
                             .where(status_moderation.c.status_id == status_id).values(**values))
    account_kinds = {
        r.kind: r.created_at for r in (await tx.execute(
            select(moderation_decisions.c.kind, moderation_decisions.c.created_at).where(
                moderation_decisions.c.target_account_id == account_id,
                moderation_decisions.c.target_status_id.is_(None), _in_force(now))
        )).all()}
    limited = "limit_account_reach" in account_kinds
    inserted = await insert_ignore(tx, account_moderation, [
        {"account_id": account_id, "reach_limited": limited, "updated_at": now}], ["account_id"])
    if not inserted:
        await tx.execute(update(account_moderation)
                         .where(account_moderation.c.account_id == account_id)
                         .values(reach_limited=limited, updated_at=now))
    suspended_since = account_kinds.get("suspend")
    await tx.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(suspended_at=suspended_since))
    if suspended_since is not None:
        # A suspended account's sessions end now.
        await tx.execute(update(tokens).where(tokens.c.account_id == account_id,
                                              tokens.c.revoked_at.is_(None))
                         .values(revoked_at=now))
    # Labels follow their decisions: a reversed or expired decision's label comes off.
    live = select(moderation_decisions.c.id).where(_in_force(now))
    await tx.execute(update(labels).where(
        labels.c.decision_id.is_not(None), labels.c.removed_at.is_(None),
        or_(labels.c.status_id == status_id, labels.c.account_id == account_id),
        ~labels.c.decision_id.in_(live)).values(removed_at=now))


async def file_report(ctx: Context, reporter_id: int, new: NewReport) -> int:
    if new.category not in REPORT_CATEGORIES:
        raise Invalid(f"Validation failed: category must be one of {', '.join(REPORT_CATEGORIES)}")
    unknown = [r for r in new.rule_ids if r not in RULES]
    if unknown:
        raise Invalid(f"Validation failed: unknown rule {unknown[0]!r}")
    if len(new.comment) > 1000:
        raise Invalid("Validation failed: comment is too long (at most 1000 characters)")
    if new.target_account_id == reporter_id:
        raise Invalid("Validation failed: you cannot report yourself")
    async with ctx.db.write() as tx:
        await _role(tx, new.target_account_id)
        if new.status_ids:
            from townsquare.actions.statuses import visible_status

            for sid in new.status_ids:
                row = await visible_status(tx, sid, reporter_id)
                if row.account_id != new.target_account_id:
                    raise Invalid("Validation failed: a reported post is not by that account")
        report_id = ctx.ids.next()
        await tx.execute(insert(reports).values(
            id=report_id, account_id=reporter_id, target_account_id=new.target_account_id,
            status_ids=[str(s) for s in new.status_ids], category=new.category,
            rule_ids=list(new.rule_ids), comment=new.comment, forward=new.forward,
            created_at=ctx.clock.now()))
    return report_id


async def dismiss_report(ctx: Context, moderator_id: int, report_id: int) -> None:
    """Close a report without action (nothing about the reported account changes)."""
    async with ctx.db.write() as tx:
        await require_moderator(tx, moderator_id)
        row = (await tx.execute(select(reports.c.resolved_at).where(reports.c.id == report_id))
               ).first()
        if row is None:
            raise NotFound("Report")
        if row.resolved_at is not None:
            raise Conflict("This report is already resolved")
        await tx.execute(update(reports).where(reports.c.id == report_id).values(
            resolved_at=ctx.clock.now(), resolved_by=moderator_id, resolution="dismissed"))


async def appeal(ctx: Context, author_id: int, decision_id: int, text: str) -> int:
    if not text.strip() or len(text) > MAX_TEXT:
        raise Invalid(f"Validation failed: an appeal needs a text (1-{MAX_TEXT} characters)")
    async with ctx.db.write() as tx:
        decision = (await tx.execute(select(moderation_decisions)
                                     .where(moderation_decisions.c.id == decision_id))).first()
        if decision is None or decision.target_account_id != author_id:
            raise NotFound("Decision")
        if decision.reversed_at is not None:
            raise Conflict("This decision was already reversed")
        existing = (await tx.execute(select(appeals.c.id)
                                     .where(appeals.c.decision_id == decision_id))).first()
        if existing is not None:
            raise Conflict("This decision has already been appealed")
        appeal_id = ctx.ids.next()
        await tx.execute(insert(appeals).values(
            id=appeal_id, decision_id=decision_id, account_id=author_id, text=text.strip(),
            created_at=ctx.clock.now()))
    return appeal_id


async def decide_appeal(ctx: Context, moderator_id: int, appeal_id: int, outcome: str,
                        reason: str) -> None:
    if outcome not in ("upheld", "reversed"):
        raise Invalid("Validation failed: outcome must be 'upheld' or 'reversed'")
    if not reason.strip() or len(reason) > MAX_TEXT:
        raise Invalid("Validation failed: an appeal decision needs its reasons")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        await require_moderator(tx, moderator_id)
        row = (await tx.execute(
            select(appeals, moderation_decisions.c.moderator_id.label("first_moderator"),
                   moderation_decisions.c.target_account_id,
                   moderation_decisions.c.target_status_id)
            .join(moderation_decisions, moderation_decisions.c.id == appeals.c.decision_id)
            .where(appeals.c.id == appeal_id))).first()
        if row is None:
            raise NotFound("Appeal")
        if row.decided_at is not None:
            raise Conflict("This appeal has already been decided")
        if row.first_moderator == moderator_id:
            raise Forbidden("A different moderator must decide the appeal")
        await tx.execute(update(appeals).where(appeals.c.id == appeal_id).values(
            decided_at=now, decided_by=moderator_id, outcome=outcome,
            outcome_reason=reason.strip()))
        if outcome == "reversed":
            await tx.execute(update(moderation_decisions)
                             .where(moderation_decisions.c.id == row.decision_id)
                             .values(reversed_at=now))
            await _recompute(ctx, tx, row.target_account_id, row.target_status_id)
        await _notify_decision(ctx, tx, row.target_account_id, row.decision_id,
                               row.target_status_id)


async def expire_decisions(ctx: Context) -> int:
    """Time-limited decisions end by themselves; the log shows when. Idempotent."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        due = (await tx.execute(select(
            moderation_decisions.c.id, moderation_decisions.c.target_account_id,
            moderation_decisions.c.target_status_id).where(
            moderation_decisions.c.ends_at <= now, moderation_decisions.c.expired_at.is_(None),
            moderation_decisions.c.reversed_at.is_(None)))).all()
        for row in due:
            await tx.execute(update(moderation_decisions)
                             .where(moderation_decisions.c.id == row.id).values(expired_at=now))
            await _recompute(ctx, tx, row.target_account_id, row.target_status_id)
    return len(due)


async def grant_role(ctx: Context, username: str, role: str) -> int:
    """Make an account a user, moderator or admin (the CLI's `townsquare role`)."""
    if role not in ("user", *MODERATOR_ROLES):
        raise Invalid("Validation failed: role must be user, moderator or admin")
    async with ctx.db.write() as tx:
        account_id = (await tx.execute(select(accounts.c.id).where(
            accounts.c.username_lower == username.lower().lstrip("@")))).scalar_one_or_none()
        if account_id is None:
            raise NotFound("Account")
        await tx.execute(update(accounts).where(accounts.c.id == account_id).values(role=role))
    return int(account_id)

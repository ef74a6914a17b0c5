"""Notifications as the API shows them: filtered for what the recipient may still see and
wants to hear about, and hydrated in a fixed number of queries (accounts in one, statuses
through load_statuses, or as JSON through the cached renderer for the API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Account, Notification
from townsquare.api.pagination import Page, apply, ordered
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.queries.accounts import load_accounts
from townsquare.queries.status_pages import Viewer, render_map
from townsquare.queries.statuses import load_statuses
from townsquare.queries.visibility import blocked_either_way, visible_to
from townsquare.store.tables import markers, mutes, notifications, statuses

n = notifications


@dataclass(frozen=True)
class NotificationFilter:
    types: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()
    account_id: int | None = None


def _shown(ctx: Context, recipient_id: int) -> Any:
    """Notifications of `recipient_id` that are still shown: not from an account blocked
    either way or muted with notifications hidden, and about a status still visible."""
    now = ctx.clock.now()
    s = statuses.alias("ns")
    muted = exists().where(
        mutes.c.account_id == recipient_id, mutes.c.target_account_id == n.c.from_account_id,
        mutes.c.hide_notifications.is_(True),
        or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now))
    status_ok = or_(n.c.status_id.is_(None), exists().where(
        s.c.id == n.c.status_id, visible_to(recipient_id, s),
        ~blocked_either_way(recipient_id, s.c.account_id)))
    return and_(n.c.account_id == recipient_id,
                ~blocked_either_way(recipient_id, n.c.from_account_id), ~muted, status_ok)


def _filtered(ctx: Context, recipient_id: int, flt: NotificationFilter) -> list[Any]:
    where = [_shown(ctx, recipient_id)]
    if flt.types:
        where.append(n.c.type.in_(flt.types))
    if flt.exclude_types:
        where.append(n.c.type.not_in(flt.exclude_types))
    if flt.account_id is not None:
        where.append(n.c.from_account_id == flt.account_id)
    return where


async def hydrate(ctx: Context, conn: AsyncConnection, rows: list[Any],
                  recipient_id: int) -> list[Notification]:
    loaded = await load_statuses(ctx, conn, _status_ids(rows), recipient_id)
    return [Notification(**fields, status=status)
            for fields, status in await _shown_rows(ctx, conn, rows, loaded)]


class _EncodedNotification(msgspec.Struct, kw_only=True):
    """Notification with its status already encoded (queries/status_pages.py)."""

    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: msgspec.Raw | None = None
    moderation_warning: dict[str, Any] | None = None


_encoder = msgspec.json.Encoder()


async def hydrate_json(ctx: Context, conn: AsyncConnection, rows: list[Any],
                       viewer: Viewer) -> list[bytes]:
    """`hydrate`'s notifications as JSON, their statuses from the cached renderer."""
    loaded = await render_map(ctx, conn, _status_ids(rows), viewer)
    return [_encoder.encode(_EncodedNotification(
        **fields, status=msgspec.Raw(status) if status is not None else None))
        for fields, status in await _shown_rows(ctx, conn, rows, loaded)]


def _status_ids(rows: list[Any]) -> list[int]:
    return [r.status_id for r in rows if r.status_id is not None]


async def _shown_rows(ctx: Context, conn: AsyncConnection, rows: list[Any],
                      loaded: Mapping[int, Any]) -> list[tuple[dict[str, Any], Any]]:
    """Each notification's fields but its status, with its status from `loaded` (None when
    it has none); the ones whose account or status hydration refused are left out, so a
    notification never shows what the reader may not see."""
    accounts = await load_accounts(conn, ctx.settings, {r.from_account_id for r in rows})
    warnings = await moderation_warnings(ctx, conn, [r.id for r in rows
                                                     if r.type == "moderation_warning"])
    out = []
    for r in rows:
        status = loaded.get(r.status_id) if r.status_id is not None else None
        if r.from_account_id not in accounts or (r.status_id is not None and status is None):
            continue
        out.append(({"id": str(r.id), "type": r.type, "group_key": f"ungrouped-{r.id}",
                     "created_at": iso(utc(r.created_at)),
                     "account": accounts[r.from_account_id],
                     "moderation_warning": warnings.get(r.id)}, status))
    return out


async def page_rows(ctx: Context, conn: AsyncConnection, recipient_id: int, page: Page,
                    flt: NotificationFilter) -> list[Any]:
    stmt = select(n.c.id, n.c.type, n.c.from_account_id, n.c.status_id, n.c.created_at
                  ).where(*_filtered(ctx, recipient_id, flt))
    rows = (await conn.execute(apply(stmt, n.c.id, page))).all()
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ordered([r.id for r in rows], page)]


async def one_row(ctx: Context, conn: AsyncConnection, recipient_id: int,
                  notification_id: int) -> Any:
    stmt = select(n.c.id, n.c.type, n.c.from_account_id, n.c.status_id, n.c.created_at
                  ).where(n.c.id == notification_id, _shown(ctx, recipient_id))
    return (await conn.execute(stmt)).first()


async def unread_count(ctx: Context, conn: AsyncConnection, recipient_id: int,
                       flt: NotificationFilter, limit: int) -> int:
    """Shown notifications newer than the notifications marker, counted up to `limit`."""
    marker = (await conn.execute(select(markers.c.last_read_id).where(
        markers.c.account_id == recipient_id, markers.c.timeline == "notifications"))
    ).scalar_one_or_none()
    ids = select(n.c.id).where(*_filtered(ctx, recipient_id, flt))
    if marker is not None:
        ids = ids.where(n.c.id > marker)
    capped = ids.order_by(n.c.id.desc()).limit(limit).subquery()
    return int((await conn.execute(select(func.count()).select_from(capped))).scalar_one())


async def moderation_warnings(ctx: Context, conn: AsyncConnection,
                              notification_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The decision behind each moderation notice, as Mastodon's AccountWarning (one query)."""
    if not notification_ids:
        return {}
    from townsquare.moderation.policy import KINDS
    from townsquare.store.tables_moderation import (
        appeals,
        decision_notifications,
        moderation_decisions,
    )

    d = moderation_decisions
    rows = (await conn.execute(
        select(decision_notifications.c.notification_id, d,
               appeals.c.text.label("appeal_text"), appeals.c.outcome.label("appeal_outcome"),
               appeals.c.decided_at.label("appeal_decided_at"))
        .join(d, d.c.id == decision_notifications.c.decision_id)
        .outerjoin(appeals, appeals.c.decision_id == d.c.id)
        .where(decision_notifications.c.notification_id.in_(notification_ids)))).all()
    targets = await load_accounts(conn, ctx.settings, {r.target_account_id for r in rows})
    base = ctx.settings.base_url
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        appeal = None
        if r.appeal_text is not None:
            state = {"reversed": "approved", "upheld": "rejected"}.get(r.appeal_outcome or "",
                                                                      "pending")
            appeal = {"text": r.appeal_text, "state": state}
        out[r.notification_id] = {
            "id": str(r.id),
            "action": KINDS[r.kind].mastodon_action if r.kind in KINDS else "none",
            "text": f"{r.facts}\n\nGround ({r.ground_type} {r.ground_reference}): "
                    f"{r.ground_text}",
            "status_ids": [str(r.target_status_id)] if r.target_status_id else None,
            "target_account": targets.get(r.target_account_id),
            "appeal": appeal,
            "created_at": iso(utc(r.created_at)),
            "townsquare": {
                "decision": r.kind, "visibility_effect": r.visibility_effect,
                "reversed": r.reversed_at is not None,
                "statement": f"{base}/api/v1/townsquare/transparency/log/{r.id}",
                "appeal_url": f"{base}/api/v1/townsquare/decisions/{r.id}/appeal",
            },
        }
    return out

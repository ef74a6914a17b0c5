"""Relationships between a viewer and other accounts, and the account lists that edges make
(followers, following, blocks, mutes, follow requests).

`relationships` answers for any number of ids in one query (a UNION ALL over the edge tables);
list pages cost two: the page of edge rows, then `load_accounts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Account, Relationship
from townsquare.api.pagination import Page, apply
from townsquare.config import Settings
from townsquare.queries.accounts import load_accounts
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.tables import accounts, blocks, follow_requests, follows, mutes


def _live_mute(now: datetime) -> Any:
    return or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now)


async def relationships(conn: AsyncConnection, viewer_id: int, ids: Iterable[int],
                        now: datetime) -> list[Relationship]:
    """Relationship entities for the ids that are accounts, in the order asked."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    t = literal(True)
    parts = [
        select(literal("A").label("k"), accounts.c.id.label("aid"), t.label("x"), t.label("y"))
        .where(accounts.c.id.in_(wanted)),
        select(literal("F"), follows.c.target_account_id, follows.c.show_reblogs,
               follows.c.notify)
        .where(follows.c.account_id == viewer_id, follows.c.target_account_id.in_(wanted)),
        select(literal("f"), follows.c.account_id, t, t)
        .where(follows.c.target_account_id == viewer_id, follows.c.account_id.in_(wanted)),
        select(literal("R"), follow_requests.c.target_account_id,
               follow_requests.c.show_reblogs, follow_requests.c.notify)
        .where(follow_requests.c.account_id == viewer_id,
               follow_requests.c.target_account_id.in_(wanted)),
        select(literal("r"), follow_requests.c.account_id, t, t)
        .where(follow_requests.c.target_account_id == viewer_id,
               follow_requests.c.account_id.in_(wanted)),
        select(literal("B"), blocks.c.target_account_id, t, t)
        .where(blocks.c.account_id == viewer_id, blocks.c.target_account_id.in_(wanted)),
        select(literal("b"), blocks.c.account_id, t, t)
        .where(blocks.c.target_account_id == viewer_id, blocks.c.account_id.in_(wanted)),
        select(literal("M"), mutes.c.target_account_id, mutes.c.hide_notifications, t)
        .where(mutes.c.account_id == viewer_id, mutes.c.target_account_id.in_(wanted),
               _live_mute(now)),
    ]
    found: dict[str, dict[int, tuple[bool, bool]]] = {k: {} for k in "AFfRrBbM"}
    for k, aid, x, y in (await conn.execute(union_all(*parts))).all():
        found[k][aid] = (bool(x), bool(y))
    out = []
    for aid in wanted:
        if aid not in found["A"]:
            continue
        options = found["F"].get(aid) or found["R"].get(aid) or (False, False)
        out.append(Relationship(
            id=str(aid),
            following=aid in found["F"],
            showing_reblogs=options[0],
            notifying=options[1],
            followed_by=aid in found["f"],
            blocking=aid in found["B"],
            blocked_by=aid in found["b"],
            muting=aid in found["M"],
            muting_notifications=found["M"].get(aid, (False, False))[0],
            requested=aid in found["R"],
            requested_by=aid in found["r"],
        ))
    return out


async def relationship(conn: AsyncConnection, viewer_id: int, target_id: int,
                       now: datetime) -> Relationship | None:
    found = await relationships(conn, viewer_id, [target_id], now)
    return found[0] if found else None


async def blocked_pair(conn: AsyncConnection, a: int, b: int) -> bool:
    """Either account blocks the other."""
    return (await conn.execute(select(blocks.c.id).where(or_(
        and_(blocks.c.account_id == a, blocks.c.target_account_id == b),
        and_(blocks.c.account_id == b, blocks.c.target_account_id == a))).limit(1))
    ).first() is not None


@dataclass(frozen=True)
class AccountPage:
    accounts: list[Account]
    row_ids: list[int]  # the edge ids that page the list (for the Link header)


async def _page(conn: AsyncConnection, settings: Settings, stmt: Any, id_col: Any,
                page: Page) -> AccountPage:
    rows = list((await conn.execute(apply(stmt, id_col, page))).all())
    if page.min_id is not None:  # fetched oldest first; pages are shown newest first
        rows.reverse()
    loaded = await load_accounts(conn, settings, [r.aid for r in rows])
    return AccountPage([loaded[r.aid] for r in rows if r.aid in loaded], [r.rid for r in rows])


def _active(stmt: Any, col: Any) -> Any:
    """Only accounts that are not suspended."""
    return stmt.join(accounts, accounts.c.id == col).where(accounts.c.suspended_at.is_(None))


async def follow_list(conn: AsyncConnection, settings: Settings, account_id: int,
                      viewer_id: int | None, page: Page, now: datetime, *,
                      followers: bool) -> AccountPage:
    """An account's followers (or the accounts it follows), newest follow first, without
    accounts blocked either way by the viewer."""
    mine, theirs = ((follows.c.target_account_id, follows.c.account_id) if followers
                    else (follows.c.account_id, follows.c.target_account_id))
    stmt = _active(select(follows.c.id.label("rid"), theirs.label("aid"))
                   .where(mine == account_id), theirs)
    if viewer_id is not None:
        hidden = hidden_account_ids(viewer_id, now, include_mutes=False).subquery()
        stmt = stmt.where(~theirs.in_(select(hidden.c.aid)))
    return await _page(conn, settings, stmt, follows.c.id, page)


async def edge_list(conn: AsyncConnection, settings: Settings, table: Any, viewer_id: int,
                    page: Page, now: datetime, *, incoming: bool = False) -> AccountPage:
    """The viewer's blocks or mutes (outgoing), or the follow requests it received."""
    mine, theirs = ((table.c.target_account_id, table.c.account_id) if incoming
                    else (table.c.account_id, table.c.target_account_id))
    stmt = select(table.c.id.label("rid"), theirs.label("aid")).where(mine == viewer_id)
    if table is mutes:
        stmt = stmt.where(_live_mute(now))
    if table is follow_requests:
        stmt = _active(stmt, theirs)
    return await _page(conn, settings, stmt, table.c.id, page)

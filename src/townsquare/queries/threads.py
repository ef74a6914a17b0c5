"""Threads: a post's ancestors and descendants (GET /api/v1/statuses/:id/context).

A fixed number of queries whatever the thread's size: one recursive CTE up the reply chain
(bounded), one down it (bounded), one filtering the descendants by visibility, blocks and
mutes, then the usual batch hydration.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Status
from townsquare.context import Context
from townsquare.queries.statuses import load_ordered
from townsquare.queries.visibility import blocked_either_way, hidden_account_ids, visible_to
from townsquare.store.tables import statuses

MAX_ANCESTORS = 40
MAX_DEPTH = 256  # deeper replies are left out of the tree
MAX_DESCENDANTS = 4096


async def visible_row(conn: AsyncConnection, status_id: int, viewer_id: int | None) -> Any:
    """The status row when the viewer may see it (visibility and blocks), else None."""
    return (await conn.execute(
        select(statuses).where(statuses.c.id == status_id, visible_to(viewer_id),
                               ~blocked_either_way(viewer_id, statuses.c.account_id))
    )).first()


def _shown(ctx: Context, viewer_id: int | None) -> list[Any]:
    """Conditions on `statuses` for posts a thread shows the viewer."""
    conds = [visible_to(viewer_id), statuses.c.reblog_of_id.is_(None)]
    if viewer_id is not None:
        hidden = hidden_account_ids(viewer_id, ctx.clock.now()).subquery()
        conds.append(~statuses.c.account_id.in_(select(hidden.c.aid)))
    return conds


async def ancestor_ids(ctx: Context, conn: AsyncConnection, row: Any,
                       viewer_id: int | None) -> list[int]:
    """Up the reply chain, root first; posts the viewer may not see are skipped."""
    if row.in_reply_to_id is None:
        return []
    up = (select(statuses.c.id, statuses.c.in_reply_to_id, literal(1).label("depth"))
          .where(statuses.c.id == row.in_reply_to_id).cte("up", recursive=True))
    prev = up.alias("prev")
    up = up.union_all(
        select(statuses.c.id, statuses.c.in_reply_to_id, prev.c.depth + 1)
        .join(prev, statuses.c.id == prev.c.in_reply_to_id)
        .where(prev.c.depth < MAX_ANCESTORS))
    rows = (await conn.execute(
        select(up.c.id, up.c.depth).join(statuses, statuses.c.id == up.c.id)
        .where(*_shown(ctx, viewer_id)).order_by(up.c.depth.desc())
    )).all()
    return [r.id for r in rows]


async def descendant_ids(ctx: Context, conn: AsyncConnection, row: Any,
                         viewer_id: int | None) -> list[int]:
    """Every reply below the post, depth-first, each level oldest first (Mastodon's order).

    The tree is built from all replies (so a hidden reply's visible children keep their
    place), then filtered.
    """
    down = (select(statuses.c.id, statuses.c.in_reply_to_id, literal(1).label("depth"))
            .where(statuses.c.in_reply_to_id == row.id).cte("down", recursive=True))
    prev = down.alias("prev")
    down = down.union_all(
        select(statuses.c.id, statuses.c.in_reply_to_id, prev.c.depth + 1)
        .join(prev, statuses.c.in_reply_to_id == prev.c.id)
        .where(prev.c.depth < MAX_DEPTH))
    tree = (await conn.execute(
        select(down.c.id, down.c.in_reply_to_id).order_by(down.c.id).limit(MAX_DESCENDANTS)
    )).all()
    if not tree:
        return []
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in tree:
        children[parent].append(child)
    shown = {sid for (sid,) in (await conn.execute(
        select(statuses.c.id).where(statuses.c.id.in_([t.id for t in tree]),
                                    *_shown(ctx, viewer_id))
    )).all()}
    out: list[int] = []
    stack = list(reversed(sorted(children[row.id])))
    while stack:
        sid = stack.pop()
        if sid in shown:
            out.append(sid)
        stack.extend(reversed(sorted(children.get(sid, []))))
    return out


async def load_context(ctx: Context, conn: AsyncConnection, status_id: int,
                       viewer_id: int | None) -> tuple[list[Status], list[Status]] | None:
    """(ancestors, descendants) as Status entities, or None when the post is not visible."""
    row = await visible_row(conn, status_id, viewer_id)
    if row is None:
        return None
    if row.reblog_of_id is not None:  # a repost's thread is its post's thread
        row = await visible_row(conn, row.reblog_of_id, viewer_id)
        if row is None:
            return None
    up = await ancestor_ids(ctx, conn, row, viewer_id)
    down = await descendant_ids(ctx, conn, row, viewer_id)
    loaded = await load_ordered(ctx, conn, up + down, viewer_id)
    by_id = {int(s.id): s for s in loaded}
    return ([by_id[i] for i in up if i in by_id], [by_id[i] for i in down if i in by_id])

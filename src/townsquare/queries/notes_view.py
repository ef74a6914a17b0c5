"""Helpful notes under posts: what `load_statuses` adds to a Status's `townsquare` key.

One query for a whole page (fixed count): the notes currently rated helpful on any of the
page's posts.  Notes that need more ratings or were rated not helpful are not shown under the
post; they are listed, with their status, on GET /api/v1/townsquare/statuses/:id/notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.context import Context
from townsquare.notes import constants as c
from townsquare.queries.notes import TAG_LABELS
from townsquare.store.fast import Hot
from townsquare.store.tables_notes import community_notes, note_status

_cn, _ns = community_notes, note_status
# Built once (every status page runs it): only the bound ids change between requests.
HELPFUL_QUERY = (
    select(_cn.c.id, _cn.c.status_id, _cn.c.classification, _cn.c.content,
           _ns.c.current_status_ms, _ns.c.first_tag, _ns.c.second_tag)
    .join(_ns, _ns.c.note_id == _cn.c.id)
    .where(_ns.c.status_id.in_(bindparam("ids", expanding=True)), _ns.c.current_status == c.CRH)
    .order_by(_cn.c.status_id, _ns.c.intercept.desc(), _cn.c.id)
)
_HELPFUL_HOT = Hot(HELPFUL_QUERY)  # run on the driver (store/fast.py)


async def helpful_notes(ctx: Context, conn: AsyncConnection, status_ids: Iterable[int]
                        ) -> dict[int, list[dict[str, Any]]]:
    ids = list(status_ids)
    if not ids:
        return {}
    rows = await _HELPFUL_HOT.all(conn, {"ids": ids})
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row.status_id].append({
            "id": str(row.id),
            "status": c.CRH,
            "classification": row.classification,
            "content": row.content,
            "top_tags": [{"tag": t, "label": TAG_LABELS.get(t, t)}
                         for t in (row.first_tag, row.second_tag) if t],
            "url": ctx.url(f"/api/v1/townsquare/notes/{row.id}"),
            "all_notes_url": ctx.url(f"/api/v1/townsquare/statuses/{row.status_id}/notes"),
        })
    return out


def with_notes(townsquare: dict[str, Any] | None, notes: list[dict[str, Any]] | None
               ) -> dict[str, Any] | None:
    """Merge a post's helpful notes into its `townsquare` dict (never overwriting what other
    domains put there); None stays None when there is nothing to say."""
    if not notes:
        return townsquare or None
    return {**(townsquare or {}), "notes": notes}

"""The reader's muted-word filters (Mastodon filters v2), with keywords and statuses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import Filter, FilterKeyword, FilterStatus
from townsquare.model.clock import iso, utc
from townsquare.store.tables_moderation import filter_keywords, filter_statuses, filters


async def load_filters(conn: AsyncConnection, account_id: int,
                       filter_id: int | None = None) -> list[Filter]:
    stmt = select(filters).where(filters.c.account_id == account_id)
    if filter_id is not None:
        stmt = stmt.where(filters.c.id == filter_id)
    rows = (await conn.execute(stmt.order_by(filters.c.id))).all()
    ids = [row.id for row in rows]
    kws = (await conn.execute(select(filter_keywords).where(filter_keywords.c.filter_id.in_(ids))
                              .order_by(filter_keywords.c.id))).all() if ids else []
    sts = (await conn.execute(select(filter_statuses).where(filter_statuses.c.filter_id.in_(ids))
                              )).all() if ids else []
    return [Filter(
        id=str(row.id), title=row.title, context=list(row.context),
        expires_at=iso(utc(row.expires_at)) if row.expires_at else None,
        filter_action=row.filter_action,
        keywords=[FilterKeyword(id=str(k.id), keyword=k.keyword, whole_word=k.whole_word)
                  for k in kws if k.filter_id == row.id],
        statuses=[FilterStatus(id=str(s.id), status_id=str(s.status_id))
                  for s in sts if s.filter_id == row.id],
        townsquare={"except_following": row.except_following},
    ) for row in rows]

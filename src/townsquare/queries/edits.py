"""A post's edit history and source (GET /api/v1/statuses/:id/history, /source).

The history is read in a fixed number of queries: the post, its edits, the media they name,
the author.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.entities import StatusEdit, StatusSource
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.queries.accounts import load_accounts
from townsquare.queries.statuses import media_entity
from townsquare.queries.threads import visible_row
from townsquare.store.tables import media, poll_options, polls, status_edits


async def load_history(ctx: Context, conn: AsyncConnection, status_id: int,
                       viewer_id: int | None) -> list[StatusEdit] | None:
    """Versions oldest first; an unedited post has one, itself. None when not visible."""
    row = await visible_row(conn, status_id, viewer_id)
    if row is None or row.reblog_of_id is not None:
        return None
    edits: list[Any] = list((await conn.execute(
        select(status_edits).where(status_edits.c.status_id == row.id)
        .order_by(status_edits.c.id))).all())
    if edits:
        versions = [(e, list(e.media_ids or []), e.poll_options) for e in edits]
    else:
        current_media = list((await conn.execute(
            select(media.c.id).where(media.c.status_id == row.id).order_by(media.c.position)
        )).scalars().all())
        titles = list((await conn.execute(
            select(poll_options.c.title).join(polls, polls.c.id == poll_options.c.poll_id)
            .where(polls.c.status_id == row.id).order_by(poll_options.c.position)
        )).scalars().all())
        versions = [(row, current_media, titles or None)]
    wanted = {int(m) for _, ids, _ in versions for m in ids}
    media_rows = {r.id: r for r in (await conn.execute(
        select(media).where(media.c.id.in_(wanted)))).all()} if wanted else {}
    author = (await load_accounts(conn, ctx.settings, [row.account_id]))[row.account_id]
    return [
        StatusEdit(
            content=v.content,
            spoiler_text=v.spoiler_text,
            sensitive=v.sensitive,
            created_at=iso(utc(v.created_at)),
            account=author,
            poll={"options": [{"title": t} for t in options]} if options else None,
            media_attachments=[media_entity(ctx, media_rows[int(m)]) for m in ids
                               if int(m) in media_rows],
        )
        for v, ids, options in versions
    ]


async def load_source(conn: AsyncConnection, status_id: int,
                      viewer_id: int | None) -> StatusSource | None:
    row = await visible_row(conn, status_id, viewer_id)
    if row is None:
        return None
    return StatusSource(id=str(row.id), text=row.text, spoiler_text=row.spoiler_text)

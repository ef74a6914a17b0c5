"""Home timelines as a SQL table filled on write (the embedded default).

Delivery is one INSERT ... SELECT over the author's followers, in the same transaction as the
post, so a post can never be committed without being delivered.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import Clock
from townsquare.model.visibility import OPEN
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.db import Tx
from townsquare.store.tables import follows, home_timeline, statuses
from townsquare.timelines.base import Entry, PageQuery

BACKFILL = 40  # posts of a newly followed account put into the follower's home timeline


class SqlHomeTimelines:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def deliver(self, tx: Tx, entry: Entry) -> None:
        values = {"status_id": entry.status_id, "author_id": entry.author_id,
                  "origin_author_id": entry.origin_author_id}
        readers: set[int] = {entry.author_id}
        if entry.visibility != "direct":
            followers = select(
                follows.c.account_id, literal(entry.status_id), literal(entry.author_id),
                literal(entry.origin_author_id),
            ).where(follows.c.target_account_id == entry.author_id)
            if entry.origin_author_id != entry.author_id:
                # Followers who turned reposts off for this account do not get them.
                followers = followers.where(follows.c.show_reblogs.is_(True))
            await tx.execute(insert(home_timeline).from_select(
                ["account_id", "status_id", "author_id", "origin_author_id"], followers))
        if entry.visibility in ("private", "direct"):
            readers.update(entry.mentioned_ids)
        if readers:
            existing = {r for (r,) in (await tx.execute(
                select(home_timeline.c.account_id).where(
                    home_timeline.c.status_id == entry.status_id,
                    home_timeline.c.account_id.in_(readers))
            )).all()}
            rows = [{"account_id": r, **values} for r in readers - existing]
            if rows:
                await tx.execute(insert(home_timeline), rows)

    async def followed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        recent = (
            select(literal(follower_id), statuses.c.id, statuses.c.account_id,
                   statuses.c.account_id)
            .where(statuses.c.account_id == target_id,
                   statuses.c.reblog_of_id.is_(None),
                   statuses.c.visibility.in_((*OPEN, "private")),
                   ~statuses.c.id.in_(select(home_timeline.c.status_id).where(
                       home_timeline.c.account_id == follower_id,
                       home_timeline.c.author_id == target_id)))
            .order_by(statuses.c.id.desc())
            .limit(BACKFILL)
        )
        await tx.execute(insert(home_timeline).from_select(
            ["account_id", "status_id", "author_id", "origin_author_id"], recent))

    async def unfollowed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        await tx.execute(delete(home_timeline).where(
            home_timeline.c.account_id == follower_id,
            home_timeline.c.author_id == target_id,
            # a direct or followers-only post that mentions the reader stays
            ~home_timeline.c.status_id.in_(
                select(statuses.c.id).where(statuses.c.account_id == target_id,
                                            statuses.c.visibility == "direct"))))

    async def page(self, conn: AsyncConnection, query: PageQuery) -> list[int]:
        hidden = hidden_account_ids(query.viewer_id, self._clock.now()).subquery()
        h = home_timeline
        stmt = select(h.c.status_id).where(
            h.c.account_id == query.viewer_id,
            ~h.c.author_id.in_(select(hidden.c.aid)),
            or_(h.c.origin_author_id == h.c.author_id,
                ~h.c.origin_author_id.in_(select(hidden.c.aid))),
        )
        if query.max_id is not None:
            stmt = stmt.where(h.c.status_id < query.max_id)
        if query.since_id is not None:
            stmt = stmt.where(h.c.status_id > query.since_id)
        if query.min_id is not None:
            stmt = stmt.where(h.c.status_id > query.min_id).order_by(h.c.status_id.asc())
        else:
            stmt = stmt.order_by(h.c.status_id.desc())
        ids = [r for (r,) in (await conn.execute(stmt.limit(query.limit))).all()]
        return list(reversed(ids)) if query.min_id is not None else ids



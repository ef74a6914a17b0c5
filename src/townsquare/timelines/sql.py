"""Home timelines as a SQL table filled on write (the embedded default).

Delivery is one INSERT ... SELECT over the author's active followers, in the same transaction
as the post, so a post can never be committed without being delivered. Authors with more
followers than the fan-out threshold are not pushed: their posts are merged at read time.
Followers away longer than the inactive period are skipped and rebuilt when they return.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    bindparam,
    delete,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import Clock
from townsquare.model.visibility import OPEN
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.db import Database, Tx
from townsquare.store.fast import Hot
from townsquare.store.probes import Probe, author_join, probe_columns
from townsquare.store.tables import accounts, home_timeline, statuses, users
from townsquare.store.token_check import TOKEN_PART, token_rows
from townsquare.store.upsert import insert_ignore
from townsquare.timelines import truth
from townsquare.timelines.activity import Activity
from townsquare.timelines.base import (
    Entry,
    PageQuery,
    mentioned_readers,
    merge_pages,
    pushes_to_followers,
)
from townsquare.timelines.big import BigAccounts
from townsquare.timelines.tuning import Tuning

BACKFILL = 40  # posts of a newly followed account put into the follower's home timeline

_D_STATUS = bindparam("d_status", type_=BigInteger)
_D_AUTHOR = bindparam("d_author", type_=BigInteger)
_D_ORIGIN = bindparam("d_origin", type_=BigInteger)
_D_SINCE = bindparam("d_since", type_=users.c.created_at.type)


@functools.cache
def _delivery(push: bool, repost: bool) -> Any:
    """INSERT of one entry into its author's home timeline and, with `push`, into those of
    their active followers (built once per kind, run with each entry's parameters)."""
    readers: Any = select(_D_AUTHOR.label("reader"))
    if push:
        followers = truth.push_followers_since(_D_AUTHOR, repost, _D_SINCE)
        readers = union(followers, readers)
    r = readers.subquery()
    return insert(home_timeline).from_select(
        ["account_id", "status_id", "author_id", "origin_author_id"],
        select(r.c[0], _D_STATUS, _D_AUTHOR, _D_ORIGIN))


class SqlHomeTimelines:
    def __init__(self, clock: Clock, db: Database | None = None,
                 tuning: Tuning | None = None) -> None:
        self._clock = clock
        self.tuning = tuning or Tuning()
        self._activity = Activity(db, clock, self.tuning.inactive_days) if db else None
        self._db = db
        self.big = BigAccounts(self.tuning.fanout_threshold, db)

    async def deliver(self, tx: Tx, entry: Entry) -> None:
        await self.deliver_many(tx, [entry])

    async def deliver_many(self, tx: Tx, entries: list[Entry]) -> None:
        """One INSERT ... SELECT per kind of entry (pushed or not, post or repost), run for
        every entry of that kind at once: the author, plus their active followers when pushed.
        Followers-only and direct entries also go to the accounts they mention."""
        since = self._clock.now() - timedelta(days=self.tuning.inactive_days)
        kinds: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
        mentioned: list[dict[str, Any]] = []
        for e in entries:
            followers = e.followers if e.followers is not None \
                else await truth.followers_count(tx, e.author_id)
            push = pushes_to_followers(e, followers, self.tuning.fanout_threshold)
            kinds.setdefault((push, e.origin_author_id != e.author_id), []).append(
                {"d_status": e.status_id, "d_author": e.author_id,
                 "d_origin": e.origin_author_id, "d_since": since})
            mentioned.extend({"account_id": r, "status_id": e.status_id,
                              "author_id": e.author_id, "origin_author_id": e.origin_author_id}
                             for r in mentioned_readers(e) if r != e.author_id)
        for (push, repost), params in kinds.items():
            await tx.executemany(_delivery(push, repost), params)
        if mentioned:  # a mentioned follower has it already
            await insert_ignore(tx, home_timeline, mentioned, ["account_id", "status_id"])

    async def followed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        # Posts already there (e.g. a followers-only post that mentioned the follower) are
        # left out by primary key: an entry's status decides its author.
        h = home_timeline
        recent = (
            select(literal(follower_id), statuses.c.id, statuses.c.account_id,
                   statuses.c.account_id)
            .where(statuses.c.account_id == target_id,
                   statuses.c.reblog_of_id.is_(None),
                   statuses.c.visibility.in_((*OPEN, "private")),
                   ~select(h.c.status_id).where(h.c.account_id == follower_id,
                                                h.c.status_id == statuses.c.id).exists())
            .order_by(statuses.c.id.desc())
            .limit(BACKFILL)
        )
        await tx.execute(insert(home_timeline).from_select(
            ["account_id", "status_id", "author_id", "origin_author_id"], recent))

    async def unfollowed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        # Reads the follower's own entries through the primary key (account_id, ...).
        await tx.execute(delete(home_timeline).where(
            home_timeline.c.account_id == follower_id,
            home_timeline.c.author_id == target_id,
            # a direct or followers-only post that mentions the reader stays
            ~home_timeline.c.status_id.in_(
                select(statuses.c.id).where(statuses.c.account_id == target_id,
                                            statuses.c.visibility == "direct"))))

    async def _store(self, viewer_id: int, rows: list[truth.Row]) -> None:
        assert self._db is not None
        async with self._db.write() as tx:
            await insert_ignore(tx, home_timeline, [
                {"account_id": viewer_id, "status_id": s, "author_id": a,
                 "origin_author_id": o} for s, a, o in rows], ["account_id", "status_id"])

    async def rebuild(self, conn: AsyncConnection, viewer_id: int) -> list[int]:
        """Put back what pushes skipped while the viewer was away (idempotent). The rows are
        read on the caller's connection and written beside the request; their ids are
        returned so this very page can include them."""
        rows = await truth.rebuild_rows(conn, viewer_id, self.tuning.cap)
        assert self._activity is not None
        self._activity.spawn(self._store(viewer_id, rows))
        return [s for s, _, _ in rows]

    async def settle(self) -> None:
        if self._activity is not None:
            await self._activity.settle()

    async def page(self, conn: AsyncConnection, query: PageQuery) -> list[int]:
        rebuilt: list[int] = []
        if self._activity is not None and await self._activity.touch(conn, query.viewer_id):
            rebuilt = await self.rebuild(conn, query.viewer_id)
        now = self._clock.now()
        stmt = _page_statement(query.max_id is not None, query.since_id is not None,
                               query.min_id is not None)
        rows = await stmt.values(conn, {
            "viewer": query.viewer_id, "now": now, "limit": query.limit,
            "max_id": query.max_id, "since_id": query.since_id, "min_id": query.min_id,
            "token": query.token.token_id if query.token is not None else None,
        })
        if query.token is not None:
            query.token.take(rows)
        # Newest first (oldest first with min_id), as the page's own part is ordered.
        ids = sorted((r[1] for r in rows if r[0] == 0), reverse=query.min_id is None)
        if query.probed is not None:
            query.probed.update((r[1], Probe(*r[1:])) for r in rows if r[0] != TOKEN_PART)
        if rebuilt:  # not stored yet: filter and page them here
            lo = query.min_id if query.min_id is not None else query.since_id
            window = [i for i in rebuilt if (query.max_id is None or i < query.max_id)
                      and (lo is None or i > lo)]
            window = sorted(window, reverse=query.min_id is None)[:query.limit * 2]
            readable = await truth.keep_readable(conn, query.viewer_id, window, now)
            ids = merge_pages(ids, [i for i in window if i in readable], query)
        big = await self.big.followed_by(conn, query.viewer_id, query.following)
        if big:
            pulled = await truth.pulled_ids(conn, query, big, now)
            ids = merge_pages(ids, pulled, query)
        return list(reversed(ids)) if query.min_id is not None else ids


@functools.cache
def _page_statement(has_max: bool, has_since: bool, has_min: bool) -> Hot:
    """The page query for one combination of bounds, built once and run on the driver
    (store/fast.py): only bound values change between requests."""
    hidden = hidden_account_ids(bindparam("viewer"), bindparam("now")).subquery()
    h = home_timeline
    # With each id, its version counters (store/probes.py): the renderer checks its caches
    # with them instead of asking again.
    stmt = select(*probe_columns()).select_from(
        h.join(statuses, statuses.c.id == h.c.status_id).join(accounts, author_join())
    ).where(
        h.c.account_id == bindparam("viewer"),
        ~h.c.author_id.in_(select(hidden.c.aid)),
        or_(h.c.origin_author_id == h.c.author_id,
            ~h.c.origin_author_id.in_(select(hidden.c.aid))),
    )
    if has_max:
        stmt = stmt.where(h.c.status_id < bindparam("max_id"))
    if has_since:
        stmt = stmt.where(h.c.status_id > bindparam("since_id"))
    if has_min:
        stmt = stmt.where(h.c.status_id > bindparam("min_id")).order_by(h.c.status_id.asc())
    else:
        stmt = stmt.order_by(h.c.status_id.desc())
    # Part 0, the page (unordered: the caller sorts its ids); part 2, the probes of what it
    # reposts and quotes, which the renderer would otherwise ask for (truth.py); part 3, the
    # token's check (store/token_check.py).
    page = stmt.limit(bindparam("limit")).cte("page")
    return Hot(union_all(select(literal(0, Integer).label("part"), *page.c),
                         truth.nested_rows(page, pad=0), token_rows(pad=0)))

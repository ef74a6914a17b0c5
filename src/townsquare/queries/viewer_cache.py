"""What a page of statuses needs to know about its viewer, cached per process and checked on
every request against the viewer's version counters (store/versions.py), read with the token.

- Relations (whom the viewer follows and whose reposts they do not want, who blocks or is
  blocked by them, whom they mute and until when, when their muted words expire) are valid
  while `users.relations_version` is unchanged.
- Marks (which statuses the viewer liked, reposted, bookmarked, pinned or hid; their poll
  votes) are valid while `users.marks_version` is unchanged; they are read for the statuses
  a page needs that the entry does not know yet.

An entry is stored with the version the request read before it queried, so its data is never
older than its version; a request that read an older version than the entry's does not
touch the entry. Bounded: the oldest viewers are dropped first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.clock import utc
from townsquare.store.fast import Hot
from townsquare.store.tables import (
    blocks,
    bookmarks,
    favourites,
    follows,
    mutes,
    pins,
    poll_votes,
    statuses,
)
from townsquare.store.tables_moderation import filters, hidden_statuses

FAVOURITED, REBLOGGED, BOOKMARKED, PINNED, HIDDEN = 1, 2, 4, 8, 16
MARKS_KEPT = 4_000  # statuses whose marks an entry remembers before it starts over


@dataclass(frozen=True)
class Relations:
    version: int
    following: frozenset[int]
    blocked: frozenset[int]  # either direction
    filters_until: tuple[datetime | None, ...]  # each muted-word filter's expiry
    muted: tuple[tuple[int, datetime | None], ...] = ()  # (account, until; None: for good)
    quiet_reposts: frozenset[int] = frozenset()  # followed, their reposts not wanted

    def has_filters(self, now: datetime) -> bool:
        return any(t is None or t > now for t in self.filters_until)

    def hidden(self, now: datetime) -> frozenset[int]:
        """Accounts whose posts listings hide from the reader: blocks either way, mutes in
        force (queries/visibility.hidden_account_ids in SQL)."""
        if not self.muted:
            return self.blocked
        return self.blocked | {a for a, until in self.muted if until is None or until > now}


@dataclass
class Marks:
    version: int
    flags: dict[int, int] = field(default_factory=dict)  # status id -> bits (0: none)
    votes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # poll id -> choices


_V: Any = bindparam("viewer")


def _arm(kind: str, a: Any) -> Any:
    return select(literal(kind).label("k"), a.label("a"))


_NO_TIME: Any = cast(null(), DateTime(timezone=True))
# Everything a reader's relations hold, in one query: follows and blocks (either way), the
# expiry of their mutes and of their muted-word filters, and the follows whose reposts are
# off (the Redis store reads big accounts' lists without the database: timelines/redis.py).
RELATIONS_QUERY = Hot(union_all(
    select(literal("F").label("k"), follows.c.target_account_id.label("a"),
           _NO_TIME.label("t")).where(follows.c.account_id == _V),
    select(literal("B"), blocks.c.target_account_id, _NO_TIME).where(blocks.c.account_id == _V),
    select(literal("B"), blocks.c.account_id, _NO_TIME).where(blocks.c.target_account_id == _V),
    select(literal("M"), mutes.c.target_account_id, mutes.c.expires_at)
    .where(mutes.c.account_id == _V),
    select(literal("X"), filters.c.id, filters.c.expires_at).where(filters.c.account_id == _V),
    select(literal("R"), follows.c.target_account_id, _NO_TIME)
    .where(follows.c.account_id == _V, follows.c.show_reblogs.is_(False)),
))

_S: Any = bindparam("sids", expanding=True)
_P: Any = bindparam("pids", expanding=True)
MARKS_QUERY = Hot(union_all(
    _arm("f", favourites.c.status_id)
    .where(favourites.c.account_id == _V, favourites.c.status_id.in_(_S)),
    _arm("b", bookmarks.c.status_id)
    .where(bookmarks.c.account_id == _V, bookmarks.c.status_id.in_(_S)),
    _arm("p", pins.c.status_id).where(pins.c.account_id == _V, pins.c.status_id.in_(_S)),
    _arm("r", statuses.c.reblog_of_id)
    .where(statuses.c.reblog_of_id.in_(_S), statuses.c.account_id == _V),
    _arm("H", hidden_statuses.c.status_id)
    .where(hidden_statuses.c.account_id == _V, hidden_statuses.c.status_id.in_(_S)),
))
VOTES_QUERY = Hot(
    select(poll_votes.c.poll_id, poll_votes.c.choice)
    .where(poll_votes.c.account_id == _V, poll_votes.c.poll_id.in_(_P)))
_BITS = {"f": FAVOURITED, "r": REBLOGGED, "b": BOOKMARKED, "p": PINNED, "H": HIDDEN}


class ViewerCache:
    # Readers kept per process: an entry is the accounts they follow (~50 bytes each) and the
    # marks of the statuses they have seen (at most MARKS_KEPT), so a few kB to ~100 kB.
    def __init__(self, size: int = 2_000) -> None:
        self._relations: dict[int, Relations] = {}
        self._marks: dict[int, Marks] = {}
        self._size = size

    def _keep(self, store: dict[int, Any], viewer_id: int, value: Any) -> None:
        store.pop(viewer_id, None)
        if len(store) >= self._size:
            del store[next(iter(store))]  # the oldest entry
        store[viewer_id] = value

    def latest(self, viewer_id: int) -> Relations | None:
        """The newest relations this process read for the viewer, whatever their version:
        a caller using them must check the version it reads (api/timelines.py home)."""
        return self._relations.get(viewer_id)

    async def relations(self, conn: AsyncConnection, viewer_id: int, version: int
                        ) -> Relations:
        hit = self._relations.get(viewer_id)
        if hit is not None and hit.version == version:
            return hit
        following: set[int] = set()
        blocked: set[int] = set()
        muted: list[tuple[int, datetime | None]] = []
        until: list[datetime | None] = []
        quiet: set[int] = set()
        for k, a, t in await RELATIONS_QUERY.all(conn, {"viewer": viewer_id}):
            if k == "F":
                following.add(a)
            elif k == "B":
                blocked.add(a)
            elif k == "M":
                muted.append((a, utc(t) if t is not None else None))
            elif k == "R":
                quiet.add(a)
            else:
                until.append(utc(t) if t is not None else None)
        found = Relations(version, frozenset(following), frozenset(blocked), tuple(until),
                          tuple(muted), frozenset(quiet))
        if hit is None or hit.version < version:
            self._keep(self._relations, viewer_id, found)
        return found

    async def marks(self, conn: AsyncConnection, viewer_id: int, version: int,
                    status_ids: Iterable[int], poll_ids: Iterable[int]) -> Marks:
        """The viewer's marks, knowing at least `status_ids` and `poll_ids`."""
        entry = self._marks.get(viewer_id)
        if entry is None or entry.version < version:
            entry = Marks(version)
            self._keep(self._marks, viewer_id, entry)
        elif entry.version > version:  # this request read an older version: its own copy
            entry = Marks(version)
        elif len(entry.flags) > MARKS_KEPT:  # a long scroll: start over rather than grow
            entry.flags.clear()
            entry.votes.clear()
        sids = [s for s in status_ids if s not in entry.flags]
        pids = [p for p in poll_ids if p not in entry.votes]
        if sids:
            found = dict.fromkeys(sids, 0)
            for k, a in await MARKS_QUERY.all(conn, {"viewer": viewer_id, "sids": sids}):
                found[a] |= _BITS[k]
            entry.flags.update(found)
        if pids:
            votes: dict[int, list[int]] = {p: [] for p in pids}
            for pid, choice in await VOTES_QUERY.all(conn, {"viewer": viewer_id,
                                                            "pids": pids}):
                votes[pid].append(choice)
            entry.votes.update((p, tuple(sorted(c))) for p, c in votes.items())
        return entry


def viewer_cache(extras: dict[str, Any]) -> ViewerCache:
    cache = extras.get("viewer_cache")
    if cache is None:
        cache = extras["viewer_cache"] = ViewerCache()
    assert isinstance(cache, ViewerCache)
    return cache

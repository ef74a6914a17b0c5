"""The home-timeline interface that storage backends implement.

Writes happen inside the action's transaction (`Tx`), so a post and its delivery commit
together on the SQL backend; a backend outside the database (Redis) delivers after commit
and can always be rebuilt from the database, which stays the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store.db import Tx
from townsquare.store.token_check import TokenCheck


@dataclass(frozen=True)
class Entry:
    """A post (or repost) as delivered: who posted it and, for reposts, whose post it is."""

    status_id: int
    author_id: int
    origin_author_id: int
    visibility: str
    mentioned_ids: tuple[int, ...] = ()
    followers: int | None = None  # the author's follower count, when the caller knows it


def pushes_to_followers(entry: Entry, followers: int, threshold: int) -> bool:
    """Hybrid fan-out: followers get the entry pushed unless it is direct or its author is
    at or above the threshold (then it is merged at read time)."""
    return entry.visibility != "direct" and followers < threshold


def mentioned_readers(entry: Entry) -> tuple[int, ...]:
    """Who gets a followers-only or direct entry because it mentions them."""
    return entry.mentioned_ids if entry.visibility in ("private", "direct") else ()


@dataclass(frozen=True)
class PageQuery:
    viewer_id: int
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    # What the reader's cached relations say (queries/viewer_cache.py), when the caller has
    # them: accounts whose posts the page hides (blocks either way, active mutes) and the
    # accounts followed. Stores may then filter without asking the database.
    hidden: frozenset[int] | None = None
    following: frozenset[int] | None = None
    # Given, the store fills it with the version counters of the page's statuses
    # (store/probes.py) when it reads them anyway, for the renderer to check its caches.
    probed: dict[int, Any] | None = None
    # Given, the store checks this token in the statements it runs for the page
    # (store/token_check.py) and fills it; a page that ran none leaves it not `done`.
    token: TokenCheck | None = None
    # Followed accounts whose reposts the reader does not want (follows.show_reblogs false),
    # from the same cached relations: with `hidden` and `following`, lets a store read the
    # pages of big accounts without asking the database who they are.
    quiet_reposts: frozenset[int] | None = None


class HomeTimelines(Protocol):
    async def deliver(self, tx: Tx, entry: Entry) -> None:
        """Put a new post into its author's and its readers' home timelines."""

    async def deliver_many(self, tx: Tx, entries: list[Entry]) -> None:
        """`deliver` for several new posts of one transaction, in as few statements as
        the store allows."""

    async def followed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        """Backfill the target's recent posts after a new follow."""

    async def unfollowed(self, tx: Tx, follower_id: int, target_id: int) -> None:
        """Take the target's posts out of the follower's home timeline."""

    async def page(self, conn: AsyncConnection, query: PageQuery) -> list[int]:
        """Entry ids, newest first (filters for blocks and mutes applied)."""


def merge_pages(pushed: list[int], pulled: list[int], query: PageQuery) -> list[int]:
    """Union of two pages in the query's order (ascending for min_id), cut to the limit."""
    ascending = query.min_id is not None
    return sorted(set(pushed) | set(pulled), reverse=not ascending)[:query.limit]

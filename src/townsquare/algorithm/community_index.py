"""The community source's index: SimClusters' cluster-to-top-posts, kept as engagement arrives.

The community source (candidates.py) offers the viewer the most engaged recent posts by the
producers of their strongest communities. Read from `statuses`, that is one index probe per
producer (~1,200 for a heavy viewer of the 100k network: 13-18 ms of PostgreSQL a page).
This index holds, under each community, every original public post by one of its producers
that has been liked or reposted, with `engaged` = likes + 2 * reposts; a page reads its
communities' recent rows in one range scan each.

What keeps it exact (the same rows as `rebuild` would write now, tests/algorithm/
test_community_index.py):
- likes and reposts change a post's counters only in actions/interactions.py; each change
  calls `counted` in the same transaction, right after the counter moved (one statement);
- a deleted post takes its row with it (ON DELETE CASCADE); a post's visibility and author
  never change;
- the producers' communities change only when the communities job stores its output, which
  calls `rebuild` in the same transaction (actions/feeds.store_communities);
- rows older than the window stay until the next rebuild, and every read bounds the window.
Lost or doubted, it is rebuilt by `townsquare algorithm reindex` (or the communities job):
`rebuild` is idempotent. Replies do not count towards `engaged` (the reply counter moves in
the posting path, which does not call in here); they still count in the engagement feature.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from townsquare.algorithm.weights import Weights
from townsquare.model.ids import id_floor
from townsquare.store.db import Tx
from townsquare.store.tables import community_known_for, community_posts, statuses

ENGAGED = statuses.c.favourites_count + 2 * statuses.c.reblogs_count
_INDEXED = and_(statuses.c.reblog_of_id.is_(None), statuses.c.visibility == "public")


def _rows(*where: Any) -> Any:
    """(community, status_id, engaged) of the indexed posts that satisfy `where`."""
    kf = community_known_for
    return (select(kf.c.community, statuses.c.id, ENGAGED)
            .select_from(kf.join(statuses, statuses.c.account_id == kf.c.account_id))
            .where(_INDEXED, *where))


def _upsert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(community_posts).from_select(
        ["community", "status_id", "engaged"],
        _rows(statuses.c.id == bindparam("status_id")))
    return stmt.on_conflict_do_update(index_elements=["community", "status_id"],
                                      set_={"engaged": stmt.excluded.engaged})


_UPSERT: dict[str, Any] = {}


async def counted(tx: Tx, status_id: int) -> None:
    """A post's like or repost counter has just changed in `tx`: bring its row up to date
    (inserted on first engagement; kept at 0 after the last is taken back, and never read
    then). Nothing happens for a post that is not indexed (not by a producer, not public,
    a repost)."""
    dialect = tx.conn.dialect.name
    if dialect not in _UPSERT:
        _UPSERT[dialect] = _upsert(dialect)
    await tx.execute(_UPSERT[dialect], {"status_id": status_id})


def window_floor(now: datetime, w: Weights) -> int:
    return id_floor(now - timedelta(hours=w.adjustments["window_hours"]))


def expected(floor: int) -> Any:
    """The rows the index holds from `floor` on, computed from scratch: (community,
    status_id, engaged) for every engaged indexed post."""
    return _rows(statuses.c.id >= floor, ENGAGED > 0)


async def rebuild(tx: Tx, now: datetime, w: Weights) -> int:
    """Replace the index with the window's rows computed from scratch; returns the count.
    Run in the transaction that stores the communities (or alone, to repair)."""
    if tx.conn.dialect.name == "postgresql":
        # Likes arriving meanwhile wait for the rebuild instead of interleaving with it.
        await tx.execute(text("LOCK TABLE community_posts IN EXCLUSIVE MODE"))
    await tx.execute(delete(community_posts))
    # In key order, so that a community's rows sit together on disk.
    rows = expected(window_floor(now, w)).order_by(community_known_for.c.community,
                                                   statuses.c.id)
    result = await tx.execute(insert(community_posts).from_select(
        ["community", "status_id", "engaged"], rows))
    return int(result.rowcount or 0)

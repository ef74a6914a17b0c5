"""What a home timeline holds, computed from the database (the source of truth).

Used to rebuild a timeline that was never pushed to (inactive user, flushed Redis), to pull
the posts of accounts with very many followers at read time, and to find the followers a post
is pushed to. Each function is one query.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.model.visibility import OPEN
from townsquare.queries.visibility import hidden_account_ids, visible_to
from townsquare.store.arrays import member_of
from townsquare.store.coalesce import Coalescer
from townsquare.store.fast import Hot
from townsquare.store.probes import Probe, author_join, probe_columns
from townsquare.store.tables import accounts, follows, status_mentions, statuses, users
from townsquare.store.token_check import TOKEN_PART, TokenCheck, token_rows
from townsquare.timelines.base import PageQuery

Row = tuple[int, int, int]  # status id, author id, origin author id

_origin = statuses.alias("origin")


def entries(where: Any) -> Any:
    """(id, author, origin author) of statuses matching `where`; reposts name the original's
    author as origin."""
    return (select(statuses.c.id, statuses.c.account_id,
                   func.coalesce(_origin.c.account_id, statuses.c.account_id).label("origin"))
            .select_from(statuses.outerjoin(_origin, _origin.c.id == statuses.c.reblog_of_id))
            .where(where))


def as_pushed(s: Any, show_reblogs: Any) -> Any:
    """A followed account's post `s` as its follower gets it: not direct, and a repost only
    where the follow's `show_reblogs` (a column) is on."""
    return and_(s.c.visibility != "direct",
                or_(s.c.reblog_of_id.is_(None), show_reblogs.is_(True)))


def _followee_posts(viewer_id: Any, targets: Any) -> Any:
    """Posts of followed accounts as pushed (as_pushed)."""
    f = follows
    return and_(
        select(f.c.id).where(
            f.c.account_id == viewer_id, f.c.target_account_id == statuses.c.account_id,
            as_pushed(statuses, f.c.show_reblogs),
        ).exists(),
        statuses.c.account_id.in_(targets),
    )


async def rebuild_rows(conn: AsyncConnection, viewer_id: int, cap: int) -> list[Row]:
    """The newest `cap` entries of the viewer's home timeline, as push would have made it."""
    followed = select(follows.c.target_account_id).where(follows.c.account_id == viewer_id)
    parts = [
        entries(statuses.c.account_id == viewer_id)
        .order_by(statuses.c.id.desc()).limit(cap),
        entries(_followee_posts(viewer_id, followed)).order_by(statuses.c.id.desc()).limit(cap),
        entries(and_(statuses.c.visibility.in_(("private", "direct")),
                      statuses.c.id.in_(select(status_mentions.c.status_id).where(
                          status_mentions.c.account_id == viewer_id))))
        .order_by(statuses.c.id.desc()).limit(cap),
    ]
    u = union(*[p.subquery().select() for p in parts]).subquery()
    stmt = select(u.c[0], u.c[1], u.c[2]).order_by(u.c[0].desc()).limit(cap)
    return [(a, b, c) for a, b, c in (await conn.execute(stmt)).all()]


def _bounds(stmt: Any, col: Any, has_max: bool, has_since: bool, has_min: bool) -> Any:
    """A page's bounds on `col` as bind parameters max_id, since_id, min_id."""
    if has_max:
        stmt = stmt.where(col < bindparam("max_id"))
    if has_since:
        stmt = stmt.where(col > bindparam("since_id"))
    if has_min:
        return stmt.where(col > bindparam("min_id")).order_by(col.asc())
    return stmt.order_by(col.desc())


async def pulled_ids(conn: AsyncConnection, query: PageQuery, targets: list[int],
                     now: datetime) -> list[int]:
    """One page of the posts of `targets` (big accounts the viewer follows)."""
    if not targets:
        return []
    stmt = _pulled(query.max_id is not None, query.since_id is not None,
                   query.min_id is not None, conn.dialect.name)
    rows = await stmt.values(conn, _pulled_params(query, targets, now))
    if query.token is not None:
        query.token.take(rows)
    if query.probed is not None:  # version counters for the renderer (probes.py), theirs
        query.probed.update((r[1], Probe(*r[1:])) for r in rows  # and what they nest
                            if r[0] != TOKEN_PART)
    return sorted((r[1] for r in rows if r[0] == 1), reverse=query.min_id is None)


def _pulled_select(has_max: bool, has_since: bool, has_min: bool, dialect: str) -> Any:
    """The newest `limit` posts (oldest above min_id) the viewer gets from the big accounts
    `targets`, read per account newest first and stopped at `limit` each: a big account
    may have posted thousands of times, and one query over all their posts sorted them all
    for every page (19 big accounts of 1,000 posts: 135 home pages/s). On PostgreSQL a
    LATERAL probe per account; SQLite has no LATERAL, so each account's ids come from a
    subquery correlated with it (run once per account)."""
    viewer: Any = bindparam("viewer")
    now: Any = bindparam("now")
    limit: Any = bindparam("limit")
    # The viewer's follows of the targets: reposts only where show_reblogs.
    tgt = (select(follows.c.target_account_id.label("aid"), follows.c.show_reblogs)
           .where(follows.c.account_id == viewer,
                  follows.c.target_account_id.in_(bindparam("targets", expanding=True)))
           .subquery("tgt"))
    hidden = select(hidden_account_ids(viewer, now).subquery().c.aid)

    def theirs(s: Any, origin: Any) -> Any:
        """Conditions on `s` (statuses) and `origin` (what it reposts) for one target."""
        return and_(s.c.account_id == tgt.c.aid, as_pushed(s, tgt.c.show_reblogs),
                    ~s.c.account_id.in_(hidden),
                    or_(origin.c.account_id.is_(None), ~origin.c.account_id.in_(hidden)))

    if dialect == "postgresql":
        recent = _bounds(select(*probe_columns())
                         .select_from(statuses.join(accounts, author_join())
                                      .outerjoin(_origin, _origin.c.id == statuses.c.reblog_of_id))
                         .where(theirs(statuses, _origin)),
                         statuses.c.id, has_max, has_since, has_min).limit(limit).lateral("recent")
        return _bounds(select(*recent.c).select_from(tgt.join(recent, true())),
                       recent.c.id, False, False, has_min).limit(limit)
    s2, o2 = statuses.alias("s2"), statuses.alias("o2")
    ids = _bounds(select(s2.c.id).select_from(s2.outerjoin(o2, o2.c.id == s2.c.reblog_of_id))
                  .where(theirs(s2, o2)), s2.c.id, has_max, has_since, has_min).limit(limit)
    stmt = (select(*probe_columns())
            .select_from(tgt.join(statuses, statuses.c.id.in_(ids))
                         .join(accounts, author_join())))
    return _bounds(stmt, statuses.c.id, False, False, has_min).limit(limit)


@functools.cache
def _pulled(has_max: bool, has_since: bool, has_min: bool, dialect: str) -> Hot:
    """pulled_ids' statement for one combination of bounds and a database, built once and
    run on the driver: every home page of a reader who follows a big account runs it. Part
    1, the page (unordered: the caller sorts its ids); part 2, what it reposts and quotes."""
    pulled = _pulled_select(has_max, has_since, has_min, dialect).cte("pulled")
    return Hot(union_all(select(literal(1, Integer).label("part"), *pulled.c),
                         nested_rows(pulled, pad=0), token_rows(pad=0)))


def _pulled_params(query: PageQuery, targets: list[int], now: datetime) -> dict[str, Any]:
    return {"viewer": query.viewer_id, "now": now, "targets": targets, "limit": query.limit,
            "max_id": query.max_id, "since_id": query.since_id, "min_id": query.min_id,
            "token": query.token.token_id if query.token is not None else None}


async def keep_readable(conn: AsyncConnection, viewer_id: int, ids: list[int],
                        now: datetime, hidden: frozenset[int] | None = None,
                        following: frozenset[int] | None = None,
                        probed: dict[int, Any] | None = None,
                        token: TokenCheck | None = None,
                        checks: PageChecks | None = None) -> set[int]:
    """The ids (from Redis) that still exist and the viewer may see, authors not hidden.

    With the reader's `hidden` and `following` accounts (from their cached relations), the
    database is only asked which posts exist and by whom, by primary key, and the rule of
    model/visibility.py is applied here; mentions are looked up only for followers-only or
    direct posts that need them. That lookup also reads the version counters (store/probes.py)
    of the posts and of what they repost or quote, put into `probed` when given, and checks
    `token` when given (store/token_check.py). With `checks` (page_checks(), on
    PostgreSQL), pages checked at the same time share one statement."""
    if not ids:
        return set()
    if hidden is None or following is None:
        rows = await _readable().all(conn, {"viewer": viewer_id, "now": now, "ids": ids})
        return {r for (r,) in rows}
    tid = token.token_id if token else None
    if checks is not None and conn.dialect.name == "postgresql":
        found = await checks(conn, (ids, tid))
    else:
        found = await _EXISTING.values(conn, {"ids": ids, "token": tid})
    if token is not None:
        token.take(found)
    return await _readable_of(conn, viewer_id, [r[1:] for r in found if r[0] == 0],
                              _nested(found), hidden, following, probed)


def _nested(rows: Any) -> dict[int, Probe]:
    """The reposted and quoted posts' probes among a statement's rows (part 2)."""
    return {r[1]: Probe(*r[1:7]) for r in rows if r[0] == 2}


async def _readable_of(conn: AsyncConnection, viewer_id: int, rows: Any,
                       nested: dict[int, Probe], hidden: frozenset[int],
                       following: frozenset[int], probed: dict[int, Any] | None) -> set[int]:
    """keep_readable's rule applied to the page's rows (probe columns and visibility) and
    `nested`, the probes of what they repost or quote."""
    out: set[int] = set()
    ask: list[int] = []
    if probed is not None:
        probed.update(nested)
    for row in rows:
        sid, _version, author, _author_version, reblog, _quote, visibility = row
        origin = nested[reblog].account_id if reblog in nested else None
        if author in hidden or (origin is not None and origin in hidden):
            continue
        if probed is not None:
            probed[sid] = Probe(*row[:6])
        if visibility in OPEN or author == viewer_id or (visibility == "private"
                                                         and author in following):
            out.add(sid)
        else:
            ask.append(sid)  # followers-only from someone not followed, or direct
    if ask:
        out.update(sid for (sid,) in await _MENTIONED.all(
            conn, {"viewer": viewer_id, "ids": ask}))
    return out


def _page_rows() -> Any:
    """The statuses `ids` that exist: probe columns and visibility."""
    return (select(*probe_columns(), statuses.c.visibility)
            .select_from(statuses.join(accounts, author_join()))
            .where(statuses.c.id.in_(bindparam("ids", expanding=True))).cte("page"))


def nested_rows(*parts: Any, pad: int = 1) -> Any:
    """Part 2: the probe columns of what the rows of `parts` (CTEs of probe columns) repost
    or quote, then `pad` NULLs (to match the other parts' columns). The renderer then needs
    no probe of its own for them (queries/status_docs.py probe), and a repost's original
    author, which can hide it, comes with them. One level: deeper nesting (a repost of a
    quote) is left to the renderer."""
    refs = union_all(*(select(p.c[col]) for p in parts for col in ("reblog_of_id",
                                                                     "quote_of_id")))
    nested, author = statuses.alias("nested"), accounts.alias("nested_author")
    return (select(literal(2, Integer), *probe_columns(nested, author), *[null()] * pad)
            .select_from(nested.join(author, author_join(nested, author)))
            .where(nested.c.id.in_(refs)))


# The page's rows (part 0), what they repost or quote (part 2), the token's check (part 3).
_page = _page_rows()
_EXISTING = Hot(union_all(select(literal(0, Integer).label("part"), *_page.c),
                          nested_rows(_page), token_rows(pad=1)))
# Several pages' _EXISTING in one statement (page_checks): every page's ids and tokens as
# one array each. PostgreSQL only: on SQLite a statement is a call on the event loop's
# thread, with no round trip to share.
_page_many = (select(*probe_columns(), statuses.c.visibility)
              .select_from(statuses.join(accounts, author_join()))
              .where(member_of(statuses.c.id, "ids", "postgresql")).cte("page"))
_EXISTING_MANY = Hot(union_all(
    select(literal(0, Integer).label("part"), *_page_many.c), nested_rows(_page_many),
    token_rows(pad=1, many=True)))

Check = tuple[list[int], int | None]  # a page's ids, its token (or None)
PageChecks = Coalescer[AsyncConnection, Check, Sequence[Sequence[Any]]]


def page_checks(at_once: int) -> PageChecks:
    """keep_readable's statement for pages checked at the same time, grouped
    (store/coalesce.py), at most `at_once` statements running: one per timeline store and
    process."""
    return Coalescer(_existing_many, limit=at_once)


async def _existing_many(conn: AsyncConnection, checks: Sequence[Check]
                         ) -> list[Sequence[Sequence[Any]]]:
    """Each check's rows, as _EXISTING gives them, from one statement for all."""
    if len(checks) == 1:
        ids, tid = checks[0]
        return [await _EXISTING.values(conn, {"ids": ids, "token": tid})]
    rows = await _EXISTING_MANY.values(conn, {
        "ids": list({i for ids, _ in checks for i in ids}),
        "tokens": [tid for _, tid in checks if tid is not None]})
    by_id = {r[1]: r for r in rows if r[0] == 0}
    nested = {r[1]: r for r in rows if r[0] == 2}
    tokens = {r[1]: r for r in rows if r[0] == TOKEN_PART}
    out: list[Sequence[Sequence[Any]]] = []
    for ids, tid in checks:
        mine = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
        refs = dict.fromkeys(ref for r in mine for ref in (r[5], r[6]) if ref is not None)
        mine += [nested[ref] for ref in refs if ref in nested]
        if tid is not None and tid in tokens:
            mine.append(tokens[tid])
        out.append(mine)
    return out


_MENTIONED = Hot(
    select(status_mentions.c.status_id)
    .where(status_mentions.c.account_id == bindparam("viewer"),
           status_mentions.c.status_id.in_(bindparam("ids", expanding=True))))


@functools.cache
def _readable() -> Hot:
    """keep_readable's statement, built once and run on the driver (store/fast.py): every
    home page on Redis runs it (building it per call cost ~3 ms of Python)."""
    viewer: Any = bindparam("viewer")
    now: Any = bindparam("now")
    hidden = select(hidden_account_ids(viewer, now).subquery().c.aid)
    return Hot(
        select(statuses.c.id)
        .select_from(statuses.outerjoin(_origin, _origin.c.id == statuses.c.reblog_of_id))
        .where(statuses.c.id.in_(bindparam("ids", expanding=True)), visible_to(viewer),
               ~statuses.c.account_id.in_(hidden),
               or_(_origin.c.account_id.is_(None), ~_origin.c.account_id.in_(hidden))))


def active_since(now: datetime, inactive_days: int) -> Any:
    """Followers (users rows) active recently enough to be pushed to."""
    return func.coalesce(users.c.last_active_at, users.c.created_at) >= \
        now - timedelta(days=inactive_days)


def push_followers(author_id: int, is_repost: bool, now: datetime, inactive_days: int) -> Any:
    """SELECT of the follower ids a post is pushed to: local, active, wanting reposts."""
    return push_followers_since(author_id, is_repost, now - timedelta(days=inactive_days))


def push_followers_since(author_id: Any, is_repost: bool, since: Any) -> Any:
    """`push_followers` with the oldest activity still pushed to; `author_id` and `since` may
    be bind parameters, for statements built once."""
    stmt = (select(follows.c.account_id)
            .join(users, users.c.account_id == follows.c.account_id)
            .where(follows.c.target_account_id == author_id,
                   func.coalesce(users.c.last_active_at, users.c.created_at) >= since))
    if is_repost:
        stmt = stmt.where(follows.c.show_reblogs.is_(True))
    return stmt


async def followers_count(conn: Any, author_id: int) -> int:
    n = (await conn.execute(select(accounts.c.followers_count)
                            .where(accounts.c.id == author_id))).scalar_one_or_none()
    return int(n or 0)


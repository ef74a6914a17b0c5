"""Search: accounts and hashtags by prefix, statuses by full text (FTS5 on SQLite, a tsvector
on PostgreSQL), and local status or profile URLs pasted into the box.

Results are ids; callers hydrate them in batches. Statuses pass the same visibility rule as
every listing (visible_to + blocks) before hydration re-checks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.config import Settings
from townsquare.queries.visibility import blocked_either_way, visible_to
from townsquare.store.tables import accounts, follows, statuses, tags

_WORD = re.compile(r"\w+", re.UNICODE)
_STATUS_URL = re.compile(r"^/(?:@(?P<u1>\w+)|users/(?P<u2>\w+)/statuses)/(?P<id>\d{1,19})/?$")
_ACCOUNT_URL = re.compile(r"^/(?:@|users/)(?P<u>\w+)/?$")


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def fts5_query(q: str) -> str | None:
    """User text as an FTS5 query that cannot be a syntax error: every word a quoted string,
    all of them required. None when there is no word to look for."""
    words = _WORD.findall(q)
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


@dataclass(frozen=True)
class LocalUrl:
    username: str
    status_id: int | None  # None: a profile URL


def local_url(settings: Settings, q: str) -> LocalUrl | None:
    """A status or profile URL of this server, if q is one."""
    base = settings.base_url
    q = q.strip()
    if not q.lower().startswith(base.lower() + "/"):
        return None
    path = q[len(base):].split("?", 1)[0].split("#", 1)[0]
    m = _STATUS_URL.match(path)
    if m:
        return LocalUrl((m.group("u1") or m.group("u2")).lower(), int(m.group("id")))
    m = _ACCOUNT_URL.match(path)
    if m:
        return LocalUrl(m.group("u").lower(), None)
    return None


def account_query(settings: Settings, q: str) -> str | None:
    """The username prefix to look for: a leading @ dropped; `user@thisdomain` is local;
    `user@elsewhere` cannot be found until federation lands (None)."""
    q = q.strip().lstrip("@")
    if "@" in q:
        user, _, domain = q.partition("@")
        if domain.lower() != settings.instance_domain.lower():
            return None
        q = user
    return q.lower() or None


async def account_ids(conn: AsyncConnection, settings: Settings, q: str,
                      viewer_id: int | None, *, limit: int, offset: int = 0,
                      following: bool = False) -> list[int]:
    term = account_query(settings, q)
    if term is None:
        return []
    a = accounts
    prefix = _like_prefix(term)
    stmt = select(a.c.id).where(
        or_(a.c.username_lower.like(prefix, escape="\\"),
            func.lower(a.c.display_name).like(prefix, escape="\\")),
        a.c.suspended_at.is_(None),
    )
    if viewer_id is not None:
        stmt = stmt.where(~blocked_either_way(viewer_id, a.c.id))
        if following:
            stmt = stmt.where(exists().where(follows.c.account_id == viewer_id,
                                             follows.c.target_account_id == a.c.id))
    stmt = stmt.order_by(case((a.c.username_lower == term, 0), else_=1),
                         a.c.followers_count.desc(), a.c.id).limit(limit).offset(offset)
    return [r for (r,) in (await conn.execute(stmt)).all()]


async def hashtags(conn: AsyncConnection, q: str, *, limit: int, offset: int = 0) -> list[str]:
    term = q.strip().lstrip("#").lower()
    if not term or not _WORD.fullmatch(term):
        return []
    stmt = (select(tags.c.name).where(tags.c.name.like(_like_prefix(term), escape="\\"))
            .order_by(case((tags.c.name == term, 0), else_=1), tags.c.name)
            .limit(limit).offset(offset))
    return [r for (r,) in (await conn.execute(stmt)).all()]


def _full_text(conn: AsyncConnection, q: str) -> Any:
    """The dialect's full-text condition on `statuses`, or None if q has nothing to match."""
    if conn.dialect.name == "sqlite":
        match = fts5_query(q)
        if match is None:
            return None
        # External-content FTS5 table (migration 0002): its rowid is statuses.id.
        return statuses.c.id.in_(
            select(text("rowid")).select_from(text("statuses_fts"))
            .where(text("statuses_fts MATCH :fts_q").bindparams(fts_q=match)))
    if not _WORD.search(q):
        return None
    # search_vector is added by migration 0002 only on PostgreSQL, so it is not a Core column.
    return text("statuses.search_vector @@ plainto_tsquery('simple', :fts_q)"
                ).bindparams(fts_q=q)


async def status_ids(conn: AsyncConnection, q: str, viewer_id: int, *, limit: int,
                     offset: int = 0, account_id: int | None = None) -> list[int]:
    """Posts matching every word of q that the viewer may see, newest first."""
    matches = _full_text(conn, q)
    if matches is None:
        return []
    stmt = select(statuses.c.id).where(
        matches, statuses.c.reblog_of_id.is_(None), visible_to(viewer_id),
        ~blocked_either_way(viewer_id, statuses.c.account_id))
    if account_id is not None:
        stmt = stmt.where(statuses.c.account_id == account_id)
    stmt = stmt.order_by(statuses.c.id.desc()).limit(limit).offset(offset)
    return [r for (r,) in (await conn.execute(stmt)).all()]


async def account_id_by_username(conn: AsyncConnection, username: str) -> int | None:
    row = (await conn.execute(select(accounts.c.id).where(
        accounts.c.username_lower == username, accounts.c.suspended_at.is_(None)))).first()
    return row[0] if row else None

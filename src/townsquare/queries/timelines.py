"""Read paths that list statuses: the public and tag timelines and an account's statuses.

Each function returns the page's status ids (newest first, as `pagination.ordered` leaves
them); the handler hydrates them with `load_ordered`, which re-checks visibility. Index use:
public -> ix_statuses_visibility_id, tag -> ix_status_tags_tag_id_status_id, account ->
ix_statuses_account_id_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.api.pagination import Page, apply, ordered
from townsquare.queries.visibility import blocked_either_way, hidden_account_ids, visible_to
from townsquare.store.tables import media, pins, status_tags, statuses, tags


def normalise_tag(name: str) -> str:
    return name.strip().lstrip("#").lower()


def _has_media(s: Any = statuses) -> Any:
    return exists().where(media.c.status_id == s.c.id)


def _not_reply_to_others(s: Any = statuses) -> Any:
    """Top-level posts and self-replies (threads), as Mastodon's without_replies scope."""
    return or_(s.c.in_reply_to_id.is_(None), s.c.in_reply_to_account_id == s.c.account_id)


def _not_hidden(viewer_id: int | None, now: datetime) -> Any:
    if viewer_id is None:
        return None
    hidden = hidden_account_ids(viewer_id, now).subquery()
    return ~statuses.c.account_id.in_(select(hidden.c.aid))


async def _ids(conn: AsyncConnection, stmt: Any, column: Any, page: Page) -> list[int]:
    rows = (await conn.execute(apply(stmt, column, page))).all()
    return ordered([r[0] for r in rows], page)


@dataclass(frozen=True)
class PublicFilter:
    local: bool = False
    remote: bool = False
    only_media: bool = False


async def public_ids(conn: AsyncConnection, viewer_id: int | None, page: Page,
                     flt: PublicFilter, now: datetime) -> list[int]:
    """Public posts, no reposts, no replies to others; blocked and muted authors hidden."""
    if flt.remote and not flt.local:
        return []  # every account is local until federation lands
    stmt = select(statuses.c.id).where(
        statuses.c.visibility == "public",
        statuses.c.reblog_of_id.is_(None),
        _not_reply_to_others(),
    )
    hide = _not_hidden(viewer_id, now)
    if hide is not None:
        stmt = stmt.where(hide)
    if flt.only_media:
        stmt = stmt.where(_has_media())
    return await _ids(conn, stmt, statuses.c.id, page)


@dataclass(frozen=True)
class TagFilter:
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    local: bool = False
    remote: bool = False
    only_media: bool = False


async def _tag_ids_by_name(conn: AsyncConnection, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = (await conn.execute(select(tags.c.name, tags.c.id).where(tags.c.name.in_(names))))
    return {name: tid for name, tid in rows.all()}


async def tag_ids(conn: AsyncConnection, viewer_id: int | None, tag: str, page: Page,
                  flt: TagFilter, now: datetime) -> list[int]:
    """Public posts with the tag (or any of `any`), all of `all`, none of `none`."""
    if flt.remote and not flt.local:
        return []
    wanted = [normalise_tag(t) for t in (tag, *flt.any)]
    needed = [normalise_tag(t) for t in flt.all]
    excluded = [normalise_tag(t) for t in flt.none]
    known = await _tag_ids_by_name(conn, {*wanted, *needed, *excluded})
    any_ids = [known[t] for t in wanted if t in known]
    if not any_ids or any(t not in known for t in needed):
        return []
    st = status_tags
    stmt = (
        select(st.c.status_id).distinct()
        .join(statuses, statuses.c.id == st.c.status_id)
        .where(st.c.tag_id.in_(any_ids), statuses.c.visibility == "public",
               statuses.c.reblog_of_id.is_(None))
    )
    for t in needed:
        other = st.alias()
        stmt = stmt.where(exists().where(other.c.status_id == st.c.status_id,
                                         other.c.tag_id == known[t]))
    none_ids = [known[t] for t in excluded if t in known]
    if none_ids:
        other = st.alias()
        stmt = stmt.where(~exists().where(other.c.status_id == st.c.status_id,
                                          other.c.tag_id.in_(none_ids)))
    hide = _not_hidden(viewer_id, now)
    if hide is not None:
        stmt = stmt.where(hide)
    if flt.only_media:
        stmt = stmt.where(_has_media())
    return await _ids(conn, stmt, st.c.status_id, page)


@dataclass(frozen=True)
class AccountFilter:
    only_media: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    pinned: bool = False
    tagged: str | None = None


async def account_status_ids(conn: AsyncConnection, viewer_id: int | None, account_id: int,
                             page: Page, flt: AccountFilter) -> list[int]:
    """An account's posts the viewer may see; nothing at all if either blocks the other."""
    if viewer_id is not None and viewer_id != account_id:
        blocked = (await conn.execute(select(blocked_either_way(viewer_id, account_id)))
                   ).scalar_one()
        if blocked:
            return []
    stmt = select(statuses.c.id).where(statuses.c.account_id == account_id,
                                       visible_to(viewer_id))
    if flt.pinned:
        stmt = stmt.where(exists().where(pins.c.account_id == account_id,
                                         pins.c.status_id == statuses.c.id))
    if flt.only_media:
        stmt = stmt.where(_has_media())
    if flt.exclude_replies:
        stmt = stmt.where(_not_reply_to_others())
    if flt.exclude_reblogs:
        stmt = stmt.where(statuses.c.reblog_of_id.is_(None))
    if flt.tagged:
        stmt = stmt.where(exists().where(
            and_(status_tags.c.status_id == statuses.c.id, tags.c.id == status_tags.c.tag_id,
                 tags.c.name == normalise_tag(flt.tagged))))
    return await _ids(conn, stmt, statuses.c.id, page)

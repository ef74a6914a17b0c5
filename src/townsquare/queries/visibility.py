"""The visibility rule of model/visibility.py as SQL, for listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, select

from townsquare.model.visibility import OPEN
from townsquare.store.tables import blocks, follows, mutes, status_mentions, statuses


def visible_to(viewer_id: int | None, s: Any = statuses) -> Any:
    """Rows of `s` (a statuses table or alias) the viewer may read. Blocks not included."""
    if viewer_id is None:
        return s.c.visibility.in_(OPEN)
    mentioned = exists().where(status_mentions.c.status_id == s.c.id,
                               status_mentions.c.account_id == viewer_id)
    following = exists().where(follows.c.account_id == viewer_id,
                               follows.c.target_account_id == s.c.account_id)
    return or_(
        s.c.visibility.in_(OPEN),
        s.c.account_id == viewer_id,
        and_(s.c.visibility == "private", or_(following, mentioned)),
        and_(s.c.visibility == "direct", mentioned),
    )


def blocked_either_way(viewer_id: int | None, author_col: Any) -> Any:
    """The viewer blocks the author, or the author blocks the viewer."""
    if viewer_id is None:
        return false()
    return or_(
        exists().where(blocks.c.account_id == viewer_id,
                       blocks.c.target_account_id == author_col),
        exists().where(blocks.c.account_id == author_col,
                       blocks.c.target_account_id == viewer_id),
    )


def muted_by(viewer_id: int | None, author_col: Any, now: datetime) -> Any:
    if viewer_id is None:
        return false()
    return exists().where(
        mutes.c.account_id == viewer_id, mutes.c.target_account_id == author_col,
        or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now))


def hidden_account_ids(viewer_id: Any, now: Any, *, include_mutes: bool = True) -> Any:
    """Subquery of accounts whose posts a listing hides from the viewer (values or bind
    parameters, for statements built once)."""
    parts = [
        select(blocks.c.target_account_id.label("aid")).where(blocks.c.account_id == viewer_id),
        select(blocks.c.account_id.label("aid")).where(blocks.c.target_account_id == viewer_id),
    ]
    if include_mutes:
        parts.append(select(mutes.c.target_account_id.label("aid")).where(
            mutes.c.account_id == viewer_id,
            or_(mutes.c.expires_at.is_(None), mutes.c.expires_at > now)))
    from sqlalchemy import union_all

    return union_all(*parts)

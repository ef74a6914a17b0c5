"""A signed-in person's own choices, as the web pages show them: feeds (default, own and
subscribed custom feeds), labelers and label preferences, recommendation opt-outs and a post's
reply policy. Each function is one or two queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.moderation.policy import LABELS, PLATFORM_LABELER
from townsquare.store.tables import (
    account_recommendation_optouts,
    accounts,
    custom_feeds,
    feed_preferences,
    feed_subscriptions,
    status_recommendation_optouts,
)
from townsquare.store.tables_moderation import (
    label_preferences,
    labeler_definitions,
    labeler_subscriptions,
    reply_policies,
)


async def default_feed(conn: AsyncConnection, account_id: int) -> str | None:
    chosen = (await conn.execute(select(feed_preferences.c.default_feed).where(
        feed_preferences.c.account_id == account_id))).scalar()
    return str(chosen) if chosen else None


@dataclass(frozen=True)
class FeedRow:
    id: int
    title: str
    description: str
    definition: dict[str, Any]
    published: bool
    account_id: int
    own: bool
    subscribed: bool
    pinned: bool


def _feed(row: Any, viewer_id: int | None) -> FeedRow:
    return FeedRow(id=row.id, title=row.title, description=row.description,
                   definition=dict(row.definition), published=bool(row.published),
                   account_id=row.account_id, own=row.account_id == viewer_id,
                   subscribed=row.sub_id is not None, pinned=bool(row.sub_pinned))


def _feeds_select(viewer_id: int | None) -> Any:
    viewer = viewer_id if viewer_id is not None else -1
    return (select(custom_feeds, feed_subscriptions.c.pinned.label("sub_pinned"),
                   feed_subscriptions.c.id.label("sub_id"))
            .select_from(custom_feeds.outerjoin(feed_subscriptions, (
                feed_subscriptions.c.feed_id == custom_feeds.c.id)
                & (feed_subscriptions.c.account_id == viewer))))


async def my_feeds(conn: AsyncConnection, viewer_id: int) -> list[FeedRow]:
    """Feeds the viewer wrote or subscribes to (published), pinned first, then oldest."""
    rows = (await conn.execute(_feeds_select(viewer_id).where(or_(
        custom_feeds.c.account_id == viewer_id,
        feed_subscriptions.c.id.is_not(None) & custom_feeds.c.published))
        .order_by(custom_feeds.c.id))).all()
    found = [_feed(r, viewer_id) for r in rows]
    return sorted(found, key=lambda f: not f.pinned)


async def one_feed(conn: AsyncConnection, feed_id: int, viewer_id: int | None) -> FeedRow | None:
    """A feed the viewer may read: published, or their own."""
    row = (await conn.execute(_feeds_select(viewer_id).where(
        custom_feeds.c.id == feed_id))).first()
    if row is None or not (row.published or row.account_id == viewer_id):
        return None
    return _feed(row, viewer_id)


async def published_feeds(conn: AsyncConnection, viewer_id: int | None,
                          limit: int = 50) -> list[FeedRow]:
    rows = (await conn.execute(_feeds_select(viewer_id).where(custom_feeds.c.published)
                               .order_by(custom_feeds.c.id.desc()).limit(limit))).all()
    return [_feed(r, viewer_id) for r in rows]


@dataclass
class Labeler:
    id: int
    name: str
    labels: list[dict[str, Any]] = field(default_factory=list)
    subscribed: bool = False


async def labelers(conn: AsyncConnection, viewer_id: int) -> list[Labeler]:
    """Every labeler (the platform first) with its labels and the viewer's setting for each."""
    rows = (await conn.execute(
        select(labeler_definitions, accounts.c.username)
        .join(accounts, accounts.c.id == labeler_definitions.c.labeler_id)
        .order_by(labeler_definitions.c.labeler_id, labeler_definitions.c.value))).all()
    subs = set((await conn.execute(select(labeler_subscriptions.c.labeler_id).where(
        labeler_subscriptions.c.account_id == viewer_id))).scalars())
    prefs = {(p.labeler_id, p.value): p.setting for p in (await conn.execute(
        select(label_preferences).where(label_preferences.c.account_id == viewer_id))).all()}
    out: dict[int, Labeler] = {PLATFORM_LABELER: Labeler(PLATFORM_LABELER, "platform", [
        {"value": d.value, "description": d.description, "default": d.default_setting,
         "setting": prefs.get((PLATFORM_LABELER, d.value), d.default_setting)}
        for d in LABELS.values()], subscribed=True)}
    for row in rows:
        entry = out.setdefault(row.labeler_id, Labeler(row.labeler_id, row.username,
                                                       subscribed=row.labeler_id in subs))
        entry.labels.append({"value": row.value, "description": row.description,
                             "default": row.default_setting,
                             "setting": prefs.get((row.labeler_id, row.value),
                                                  row.default_setting)})
    return list(out.values())


async def account_recommendable(conn: AsyncConnection, account_id: int) -> bool:
    return (await conn.execute(select(account_recommendation_optouts.c.account_id).where(
        account_recommendation_optouts.c.account_id == account_id))).first() is None


@dataclass(frozen=True)
class OwnPost:
    reply_policy: str
    recommend: bool


async def own_post(conn: AsyncConnection, status_id: int) -> OwnPost:
    """The author's settings on one post: who may reply, and whether it is recommended."""
    policy = (await conn.execute(select(reply_policies.c.policy).where(
        reply_policies.c.status_id == status_id))).scalar()
    opted_out = (await conn.execute(select(status_recommendation_optouts.c.status_id).where(
        status_recommendation_optouts.c.status_id == status_id))).first()
    return OwnPost(reply_policy=str(policy or "everyone"), recommend=opted_out is None)

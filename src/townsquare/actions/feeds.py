"""Writes of the open algorithm: default feed, custom feeds and subscriptions, "show more /
show less" feedback, recommendation opt-outs, served-feed logs and community job output."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, text, update

from townsquare.actions.errors import Forbidden, Invalid, NotFound
from townsquare.actions.statuses import visible_status
from townsquare.algorithm import community_index
from townsquare.algorithm.feeds import BUILT_IN, definition_dict, parse_definition
from townsquare.algorithm.weights import current
from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables import (
    account_recommendation_optouts,
    community_interests,
    community_known_for,
    community_runs,
    custom_feeds,
    feed_feedback,
    feed_preferences,
    feed_subscriptions,
    served_feeds,
    status_recommendation_optouts,
)
from townsquare.store.upsert import insert_ignore

MAX_TITLE = 100
MAX_FEEDS_PER_ACCOUNT = 50


async def readable_feed(tx: Tx | Any, feed_id: int, account_id: int | None) -> Any:
    """A custom feed row the account may read (published, or its own); else NotFound."""
    row = (await tx.execute(select(custom_feeds).where(custom_feeds.c.id == feed_id))).first()
    if row is None or not (row.published or row.account_id == account_id):
        raise NotFound("Feed")
    return row


async def set_default_feed(ctx: Context, account_id: int, feed: str) -> str:
    async with ctx.db.write() as tx:
        if feed not in BUILT_IN:
            if not feed.isdigit() or len(feed) > 19:
                raise Invalid(f"Validation failed: feed must be one of {', '.join(BUILT_IN)} "
                              "or a custom feed id")
            await readable_feed(tx, int(feed), account_id)
        await tx.execute(delete(feed_preferences)
                         .where(feed_preferences.c.account_id == account_id))
        await tx.execute(insert(feed_preferences).values(
            account_id=account_id, default_feed=feed, updated_at=ctx.clock.now()))
    return feed


def _checked(title: str, definition: Any) -> tuple[str, dict[str, Any]]:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise Invalid(f"Validation failed: title must be 1 to {MAX_TITLE} characters")
    try:
        d = parse_definition(definition)
    except ValueError as exc:
        raise Invalid(f"Validation failed: {exc}") from None
    return title, definition_dict(d)


async def create_custom_feed(ctx: Context, account_id: int, *, title: str, description: str,
                             definition: Any, published: bool) -> int:
    title, d = _checked(title, definition)
    async with ctx.db.write() as tx:
        owned = len((await tx.execute(select(custom_feeds.c.id).where(
            custom_feeds.c.account_id == account_id))).all())
        if owned >= MAX_FEEDS_PER_ACCOUNT:
            raise Invalid(f"Validation failed: at most {MAX_FEEDS_PER_ACCOUNT} feeds per account")
        feed_id = ctx.ids.next()
        now = ctx.clock.now()
        await tx.execute(insert(custom_feeds).values(
            id=feed_id, account_id=account_id, title=title, description=description[:2000],
            definition=d, published=published, created_at=now, updated_at=now))
    return feed_id


async def _own(tx: Tx, feed_id: int, account_id: int) -> Any:
    row = await readable_feed(tx, feed_id, account_id)
    if row.account_id != account_id:
        raise Forbidden("Only the feed's author may change it")
    return row


async def update_custom_feed(ctx: Context, account_id: int, feed_id: int, *,
                             title: str | None = None, description: str | None = None,
                             definition: Any = None, published: bool | None = None) -> None:
    async with ctx.db.write() as tx:
        row = await _own(tx, feed_id, account_id)
        new_title, d = _checked(title if title is not None else row.title,
                                definition if definition is not None else row.definition)
        await tx.execute(update(custom_feeds).where(custom_feeds.c.id == feed_id).values(
            title=new_title, definition=d,
            description=(description if description is not None else row.description)[:2000],
            published=published if published is not None else row.published,
            updated_at=ctx.clock.now()))


async def delete_custom_feed(ctx: Context, account_id: int, feed_id: int) -> None:
    async with ctx.db.write() as tx:
        await _own(tx, feed_id, account_id)
        await tx.execute(delete(feed_preferences).where(
            feed_preferences.c.default_feed == str(feed_id)))
        await tx.execute(delete(custom_feeds).where(custom_feeds.c.id == feed_id))


async def subscribe(ctx: Context, account_id: int, feed_id: int, *, pinned: bool = False) -> None:
    async with ctx.db.write() as tx:
        await readable_feed(tx, feed_id, account_id)
        added = await insert_ignore(tx, feed_subscriptions, [{
            "id": ctx.ids.next(), "account_id": account_id, "feed_id": feed_id,
            "pinned": pinned, "created_at": ctx.clock.now()}], ["account_id", "feed_id"])
        if not added:
            await tx.execute(update(feed_subscriptions).where(
                feed_subscriptions.c.account_id == account_id,
                feed_subscriptions.c.feed_id == feed_id).values(pinned=pinned))


async def unsubscribe(ctx: Context, account_id: int, feed_id: int) -> None:
    async with ctx.db.write() as tx:
        await tx.execute(delete(feed_subscriptions).where(
            feed_subscriptions.c.account_id == account_id,
            feed_subscriptions.c.feed_id == feed_id))


async def give_feedback(ctx: Context, account_id: int, status_id: int, kind: str | None) -> None:
    """"Show more" / "show less" like this post (kind None takes the opinion back)."""
    if kind not in ("more", "less", None):
        raise Invalid("Validation failed: kind must be more or less")
    async with ctx.db.write() as tx:
        row = await visible_status(tx, status_id, account_id)
        if row.reblog_of_id is not None:
            row = await visible_status(tx, row.reblog_of_id, account_id)
        await tx.execute(delete(feed_feedback).where(feed_feedback.c.account_id == account_id,
                                                     feed_feedback.c.status_id == row.id))
        if kind is not None:
            await tx.execute(insert(feed_feedback).values(
                id=ctx.ids.next(), account_id=account_id, status_id=row.id,
                author_id=row.account_id, kind=kind, created_at=ctx.clock.now()))


async def set_status_recommendable(ctx: Context, account_id: int, status_id: int,
                                   recommend: bool) -> None:
    async with ctx.db.write() as tx:
        row = await visible_status(tx, status_id, account_id)
        if row.account_id != account_id:
            raise Forbidden("Only the author may opt a post out of recommendation")
        await tx.execute(delete(status_recommendation_optouts).where(
            status_recommendation_optouts.c.status_id == status_id))
        if not recommend:
            await tx.execute(insert(status_recommendation_optouts).values(
                status_id=status_id, account_id=account_id, created_at=ctx.clock.now()))


async def set_account_recommendable(ctx: Context, account_id: int, recommend: bool) -> None:
    async with ctx.db.write() as tx:
        await tx.execute(delete(account_recommendation_optouts).where(
            account_recommendation_optouts.c.account_id == account_id))
        if not recommend:
            await tx.execute(insert(account_recommendation_optouts).values(
                account_id=account_id, created_at=ctx.clock.now()))


async def log_served_feed(ctx: Context, account_id: int, *, feed: str, weights_version: int,
                          weights_digest: str, previous_id: int | None, status_ids: list[int],
                          log: bytes, served_id: int | None = None) -> int:
    """Store a served page's log; `served_id` when the caller made the id beforehand (to
    write the log while it prepares the response)."""
    async with ctx.db.write() as tx:
        served_id = served_id or ctx.ids.next()
        await tx.execute(insert(served_feeds).values(
            id=served_id, account_id=account_id, feed=feed, weights_version=weights_version,
            weights_digest=weights_digest, previous_id=previous_id, status_ids=status_ids,
            log=log, served_at=ctx.clock.now()))
    return served_id


async def store_communities(ctx: Context, *, known_for: list[tuple[int, int, float]],
                            interests: list[tuple[int, int, float]], producers: int, users: int,
                            communities: int, seconds: float, params: dict[str, Any]) -> int:
    """Replace the community job's output in one transaction (readers never see half), and
    the community source's index of engaged posts with it (algorithm/community_index.py)."""
    async with ctx.db.write() as tx:
        await tx.execute(delete(community_known_for))
        await tx.execute(delete(community_interests))
        # A community's producers side by side on disk: a page reads the producers of the
        # viewer's communities (their share of the viewer's interests) by community.
        known_for = sorted(known_for, key=lambda r: (r[1], r[0]))
        for table, rows in ((community_known_for, known_for), (community_interests, interests)):
            for i in range(0, len(rows), 5000):
                await tx.execute(insert(table), [
                    {"account_id": a, "community": c, "score": s} for a, c, s in rows[i:i + 5000]])
        await community_index.rebuild(tx, ctx.clock.now(), current())
        run_id = ctx.ids.next()
        await tx.execute(insert(community_runs).values(
            id=run_id, producers=producers, users=users, communities=communities,
            seconds=seconds, params=params, created_at=ctx.clock.now()))
    if ctx.db.engine.dialect.name == "postgresql":
        # The candidate queries plan by these tables' statistics (a stale estimate turned the
        # community source's index probes into a scan of the whole window: 33 ms for 4); so
        # refresh them now rather than whenever autovacuum gets to it.
        async with ctx.db.write() as tx:
            await tx.execute(text("ANALYZE community_known_for, community_interests, "
                                  "community_posts"))
    return run_id


async def rebuild_community_index(ctx: Context) -> int:
    """Rebuild the community source's index from scratch (idempotent); returns its rows."""
    async with ctx.db.write() as tx:
        n = await community_index.rebuild(tx, ctx.clock.now(), current())
    if ctx.db.engine.dialect.name == "postgresql":
        async with ctx.db.write() as tx:
            await tx.execute(text("ANALYZE community_posts"))
    return n

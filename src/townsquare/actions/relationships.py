"""Follows, follow requests, blocks and mutes: one transaction each.

followers_count and following_count are changed in the same transaction as the follow row
they count, only when a row was really inserted or deleted, so they stay exact under repeats
and races. Home timelines are backfilled on a follow and cleaned on an unfollow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from townsquare.actions.errors import Forbidden, Invalid, NotFound
from townsquare.actions.notify import notify
from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables import accounts, blocks, follow_requests, follows, mutes
from townsquare.store.upsert import insert_ignore

MAX_MUTE_SECONDS = 10 * 365 * 24 * 3600


async def _target(tx: Tx, account_id: int, target_id: int) -> Any:
    if account_id == target_id:
        raise Invalid("Validation failed: you cannot do this to yourself")
    row = (await tx.execute(select(accounts.c.id, accounts.c.locked).where(
        accounts.c.id == target_id, accounts.c.suspended_at.is_(None)))).first()
    if row is None:
        raise NotFound("Account")
    return row


async def _blocked_either_way(tx: Tx, a: int, b: int) -> bool:
    return (await tx.execute(select(blocks.c.id).where(or_(
        and_(blocks.c.account_id == a, blocks.c.target_account_id == b),
        and_(blocks.c.account_id == b, blocks.c.target_account_id == a))).limit(1))
    ).first() is not None


async def _count(tx: Tx, follower_id: int, target_id: int, delta: int) -> None:
    await tx.execute(update(accounts).where(accounts.c.id == follower_id).values(
        following_count=accounts.c.following_count + delta))
    await tx.execute(update(accounts).where(accounts.c.id == target_id).values(
        followers_count=accounts.c.followers_count + delta))


async def _add_follow(ctx: Context, tx: Tx, follower_id: int, target_id: int,
                      reblogs: bool, notify_posts: bool) -> bool:
    inserted = await insert_ignore(tx, follows, [{
        "id": ctx.ids.next(), "account_id": follower_id, "target_account_id": target_id,
        "show_reblogs": reblogs, "notify": notify_posts, "created_at": ctx.clock.now()}],
        ["account_id", "target_account_id"])
    if inserted:
        await _count(tx, follower_id, target_id, +1)
        await ctx.timelines.followed(tx, follower_id, target_id)
    return bool(inserted)


async def _remove_follow(ctx: Context, tx: Tx, follower_id: int, target_id: int) -> bool:
    result = await tx.execute(delete(follows).where(follows.c.account_id == follower_id,
                                                    follows.c.target_account_id == target_id))
    if result.rowcount:
        await _count(tx, follower_id, target_id, -1)
        await ctx.timelines.unfollowed(tx, follower_id, target_id)
    return bool(result.rowcount)


def _pair(table: Any, account_id: int, target_id: int) -> Any:
    return and_(table.c.account_id == account_id, table.c.target_account_id == target_id)


async def follow(ctx: Context, follower_id: int, target_id: int, *, reblogs: bool | None = None,
                 notify_posts: bool | None = None) -> None:
    """Follow, or ask to follow a locked account. Repeating it only updates the options."""
    async with ctx.db.write() as tx:
        target = await _target(tx, follower_id, target_id)
        if await _blocked_either_way(tx, follower_id, target_id):
            raise Forbidden("This action is not allowed: one of you blocks the other")
        options: dict[str, bool] = {}
        if reblogs is not None:
            options["show_reblogs"] = reblogs
        if notify_posts is not None:
            options["notify"] = notify_posts
        for table in (follows, follow_requests):
            existing = (await tx.execute(select(table.c.id).where(
                _pair(table, follower_id, target_id)))).first()
            if existing is not None:
                if options:
                    await tx.execute(update(table).where(table.c.id == existing.id)
                                     .values(**options))
                return
        if target.locked:
            await tx.execute(insert(follow_requests).values(
                id=ctx.ids.next(), account_id=follower_id, target_account_id=target_id,
                show_reblogs=True if reblogs is None else reblogs,
                notify=bool(notify_posts), created_at=ctx.clock.now()))
            await notify(ctx, tx, [target_id], follower_id, "follow_request")
            return
        if await _add_follow(ctx, tx, follower_id, target_id,
                             True if reblogs is None else reblogs, bool(notify_posts)):
            await notify(ctx, tx, [target_id], follower_id, "follow")


async def unfollow(ctx: Context, follower_id: int, target_id: int) -> None:
    """Stop following (and withdraw a pending request)."""
    async with ctx.db.write() as tx:
        await _target(tx, follower_id, target_id)
        await tx.execute(delete(follow_requests).where(
            _pair(follow_requests, follower_id, target_id)))
        await _remove_follow(ctx, tx, follower_id, target_id)


async def remove_from_followers(ctx: Context, account_id: int, follower_id: int) -> None:
    async with ctx.db.write() as tx:
        await _target(tx, account_id, follower_id)
        await _remove_follow(ctx, tx, follower_id, account_id)


async def authorize_request(ctx: Context, account_id: int, requester_id: int) -> None:
    """Accept a pending follow request from `requester_id` to `account_id`."""
    async with ctx.db.write() as tx:
        request = (await tx.execute(delete(follow_requests).where(
            _pair(follow_requests, requester_id, account_id))
            .returning(follow_requests.c.show_reblogs, follow_requests.c.notify))).first()
        if request is None:
            raise NotFound("Follow request")
        await _add_follow(ctx, tx, requester_id, account_id, request.show_reblogs,
                          request.notify)


async def reject_request(ctx: Context, account_id: int, requester_id: int) -> None:
    async with ctx.db.write() as tx:
        result = await tx.execute(delete(follow_requests).where(
            _pair(follow_requests, requester_id, account_id)))
        if not result.rowcount:
            raise NotFound("Follow request")


async def block(ctx: Context, account_id: int, target_id: int) -> None:
    """Block: also ends follows and follow requests in both directions."""
    async with ctx.db.write() as tx:
        await _target(tx, account_id, target_id)
        await insert_ignore(tx, blocks, [{
            "id": ctx.ids.next(), "account_id": account_id, "target_account_id": target_id,
            "created_at": ctx.clock.now()}], ["account_id", "target_account_id"])
        await _remove_follow(ctx, tx, account_id, target_id)
        await _remove_follow(ctx, tx, target_id, account_id)
        await tx.execute(delete(follow_requests).where(or_(
            _pair(follow_requests, account_id, target_id),
            _pair(follow_requests, target_id, account_id))))


async def unblock(ctx: Context, account_id: int, target_id: int) -> None:
    async with ctx.db.write() as tx:
        await _target(tx, account_id, target_id)
        await tx.execute(delete(blocks).where(_pair(blocks, account_id, target_id)))


async def mute(ctx: Context, account_id: int, target_id: int, *, notifications: bool = True,
               duration: int = 0) -> None:
    """Mute (hide posts; with `notifications`, also their notifications) for `duration`
    seconds, or indefinitely when 0. Muting again replaces the options."""
    if duration < 0 or duration > MAX_MUTE_SECONDS:
        raise Invalid("Validation failed: duration must be 0 (forever) or a number of seconds "
                      f"up to {MAX_MUTE_SECONDS}")
    now = ctx.clock.now()
    expires_at = now + timedelta(seconds=duration) if duration else None
    async with ctx.db.write() as tx:
        await _target(tx, account_id, target_id)
        result = await tx.execute(update(mutes).where(_pair(mutes, account_id, target_id))
                                  .values(hide_notifications=notifications,
                                          expires_at=expires_at, created_at=now))
        if not result.rowcount:
            await tx.execute(insert(mutes).values(
                id=ctx.ids.next(), account_id=account_id, target_account_id=target_id,
                hide_notifications=notifications, expires_at=expires_at, created_at=now))


async def unmute(ctx: Context, account_id: int, target_id: int) -> None:
    async with ctx.db.write() as tx:
        await _target(tx, account_id, target_id)
        await tx.execute(delete(mutes).where(_pair(mutes, account_id, target_id)))

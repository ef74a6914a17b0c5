"""Small worlds for the timeline tests: accounts, follows and posts made through actions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, update

from townsquare.actions.accounts import NewAccount, create_account
from townsquare.actions.statuses import NewStatus, create_status
from townsquare.context import Context
from townsquare.store.tables import accounts, follows, users


async def account(ctx: Context, name: str) -> int:
    return await create_account(ctx, NewAccount(username=name, email=f"{name}@example.org",
                                                password="correct horse"))


async def follow(ctx: Context, follower: int, target: int, *, reblogs: bool = True) -> None:
    """A follow row and its counters (the scale tests need no backfill, posts come after)."""
    async with ctx.db.write() as tx:
        await tx.execute(insert(follows).values(
            id=ctx.ids.next(), account_id=follower, target_account_id=target,
            show_reblogs=reblogs, notify=False, created_at=ctx.clock.now()))
        await tx.execute(update(accounts).where(accounts.c.id == target).values(
            followers_count=accounts.c.followers_count + 1))
        await tx.execute(update(accounts).where(accounts.c.id == follower).values(
            following_count=accounts.c.following_count + 1))


async def make_inactive(ctx: Context, account_id: int, days: int = 60) -> None:
    then = ctx.clock.now() - timedelta(days=days)
    async with ctx.db.write() as tx:
        await tx.execute(update(users).where(users.c.account_id == account_id)
                         .values(last_active_at=then, created_at=then))


async def post(ctx: Context, author: int, text: str, **fields: object) -> int:
    return await create_status(ctx, author, NewStatus(text=text, **fields))  # type: ignore[arg-type]

"""Controls each person has over their own view and posts: hide a post from their view,
choose who may reply to their post, detach their post from someone's quote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from townsquare.actions.errors import Forbidden, Invalid, NotFound
from townsquare.actions.statuses import visible_status
from townsquare.context import Context
from townsquare.model.visibility import counted_publicly
from townsquare.store.db import Tx
from townsquare.store.tables import follows, status_mentions, statuses
from townsquare.store.tables_moderation import hidden_statuses, quote_detachments, reply_policies
from townsquare.store.upsert import insert_ignore

REPLY_POLICIES = ("everyone", "followers", "mentioned")


async def hide_status(ctx: Context, account_id: int, status_id: int, hide: bool = True) -> None:
    async with ctx.db.write() as tx:
        await visible_status(tx, status_id, account_id)
        if hide:
            await insert_ignore(tx, hidden_statuses, [{
                "account_id": account_id, "status_id": status_id,
                "created_at": ctx.clock.now()}], ["account_id", "status_id"])
        else:
            await tx.execute(delete(hidden_statuses).where(
                hidden_statuses.c.account_id == account_id,
                hidden_statuses.c.status_id == status_id))


async def set_reply_policy(ctx: Context, account_id: int, status_id: int, policy: str) -> None:
    if policy not in REPLY_POLICIES:
        raise Invalid(f"Validation failed: policy must be one of {', '.join(REPLY_POLICIES)}")
    async with ctx.db.write() as tx:
        row = await visible_status(tx, status_id, account_id)
        if row.account_id != account_id:
            raise Forbidden("Only the author chooses who may reply")
        await tx.execute(delete(reply_policies).where(reply_policies.c.status_id == status_id))
        if policy != "everyone":
            await tx.execute(insert(reply_policies).values(status_id=status_id, policy=policy))


async def check_reply_allowed(tx: Tx, parent: Any, replier_id: int) -> None:
    """Called by create_status for replies: the parent's author decides who may reply."""
    if parent.account_id == replier_id:
        return
    policy = (await tx.execute(select(reply_policies.c.policy)
                               .where(reply_policies.c.status_id == parent.id))).scalar()
    if policy is None or policy == "everyone":
        return
    mentioned = (await tx.execute(select(func.count()).select_from(status_mentions).where(
        status_mentions.c.status_id == parent.id,
        status_mentions.c.account_id == replier_id))).scalar_one()
    if mentioned:
        return
    if policy == "followers":
        follows_author = (await tx.execute(select(func.count()).select_from(follows).where(
            follows.c.account_id == replier_id,
            follows.c.target_account_id == parent.account_id))).scalar_one()
        if follows_author:
            return
        raise Forbidden("The author allows replies from their followers only")
    raise Forbidden("The author allows replies from the people they mentioned only")


async def detach_quote(ctx: Context, account_id: int, quoting_status_id: int) -> None:
    """The quoted author takes their post out of someone's quote of it."""
    async with ctx.db.write() as tx:
        row = (await tx.execute(select(statuses.c.quote_of_id, statuses.c.visibility)
                                .where(statuses.c.id == quoting_status_id))).first()
        if row is None or row.quote_of_id is None:
            raise NotFound("Quote")
        quoted_author = (await tx.execute(select(statuses.c.account_id)
                                          .where(statuses.c.id == row.quote_of_id))).scalar()
        if quoted_author != account_id:
            raise Forbidden("Only the quoted post's author can detach it")
        await tx.execute(update(statuses).where(statuses.c.id == quoting_status_id)
                         .values(quote_of_id=None))
        if counted_publicly(row.visibility):  # only those were counted (create_status)
            await tx.execute(update(statuses).where(statuses.c.id == row.quote_of_id)
                             .values(quotes_count=statuses.c.quotes_count - 1))
        await insert_ignore(tx, quote_detachments, [{
            "status_id": quoting_status_id, "detached_status_id": row.quote_of_id,
            "created_at": ctx.clock.now()}], ["status_id"])

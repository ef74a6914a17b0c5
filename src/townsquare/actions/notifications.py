"""Dismissing notifications: one, or all of an account's."""

from __future__ import annotations

from sqlalchemy import delete

from townsquare.actions.errors import NotFound
from townsquare.context import Context
from townsquare.store.tables import notifications


async def dismiss(ctx: Context, account_id: int, notification_id: int) -> None:
    async with ctx.db.write() as tx:
        result = await tx.execute(delete(notifications).where(
            notifications.c.id == notification_id, notifications.c.account_id == account_id))
        if not result.rowcount:
            raise NotFound("Notification")


async def clear(ctx: Context, account_id: int) -> None:
    async with ctx.db.write() as tx:
        await tx.execute(delete(notifications).where(notifications.c.account_id == account_id))

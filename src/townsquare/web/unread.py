"""The unread-notifications count shown in the navigation (notifications newer than the
account's "notifications" marker, which the notifications page moves)."""

from __future__ import annotations

from townsquare.context import Context
from townsquare.queries.notifications import NotificationFilter, unread_count

CAP = 99  # the badge shows "99+" beyond this; counting further costs time for nothing


async def count(ctx: Context, account_id: int) -> int:
    async with ctx.db.read() as conn:
        return await unread_count(ctx, conn, account_id, NotificationFilter(), CAP + 1)

"""Numbers the instance endpoints publish, counted from the database in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from townsquare.store.tables import accounts, users


@dataclass(frozen=True)
class InstanceStats:
    user_count: int  # local accounts with a login, not suspended
    status_count: int  # posts everyone may see (the sum of the profiles' statuses_count)
    active_month: int  # of those users, active (signed in or posted) in the last 30 days
    active_halfyear: int


async def instance_stats(conn: AsyncConnection, now: datetime) -> InstanceStats:
    def active_since(days: int) -> Any:
        since = now - timedelta(days=days)
        return func.count().filter(or_(users.c.last_active_at >= since,
                                       accounts.c.last_status_at >= since))

    row = (await conn.execute(
        select(func.count(), func.coalesce(func.sum(accounts.c.statuses_count), 0),
               active_since(30), active_since(182))
        .select_from(users.join(accounts, accounts.c.id == users.c.account_id))
        .where(accounts.c.suspended_at.is_(None))
    )).one()
    return InstanceStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def contact_account_id(conn: AsyncConnection) -> int | None:
    """The oldest admin, shown as the instance's contact."""
    found: int | None = (await conn.execute(
        select(accounts.c.id).where(accounts.c.role == "admin",
                                    accounts.c.suspended_at.is_(None))
        .order_by(accounts.c.id).limit(1))).scalar_one_or_none()
    return found

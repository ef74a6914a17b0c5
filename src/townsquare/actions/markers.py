"""Saving read positions (markers): one row per (account, timeline), version bumped on
each save so clients can tell a newer position from a stale one."""

from __future__ import annotations

from sqlalchemy import update

from townsquare.actions.errors import Invalid
from townsquare.context import Context
from townsquare.store.tables import markers
from townsquare.store.upsert import insert_ignore

TIMELINES = ("home", "notifications")


async def save_markers(ctx: Context, account_id: int, positions: dict[str, int]) -> None:
    unknown = [t for t in positions if t not in TIMELINES]
    if unknown:
        raise Invalid(f"Validation failed: unknown timeline {unknown[0]!r}")
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        for timeline, last_read_id in positions.items():
            # Insert-or-bump keeps concurrent first saves from colliding on the key.
            inserted = await insert_ignore(tx, markers, [{
                "account_id": account_id, "timeline": timeline, "last_read_id": last_read_id,
                "version": 0, "updated_at": now}], ["account_id", "timeline"])
            if not inserted:
                await tx.execute(update(markers).where(
                    markers.c.account_id == account_id, markers.c.timeline == timeline
                ).values(last_read_id=last_read_id, version=markers.c.version + 1,
                         updated_at=now))

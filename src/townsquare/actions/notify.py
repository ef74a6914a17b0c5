"""Creating notifications, inside the transaction of the action that causes them.

Types (Mastodon's): mention, status, reblog, follow, follow_request, favourite, poll, update,
quote. Nobody is notified of their own acts, nor by an account they block or that blocks
them; mutes are applied when notifications are read, so unmuting brings nothing back wrong.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from townsquare.context import Context
from townsquare.store.db import Tx
from townsquare.store.tables import blocks, notifications

TYPES = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
         "update", "quote")


async def notify(ctx: Context, tx: Tx, recipients: list[int], from_account_id: int, type_: str,
                 status_id: int | None = None) -> None:
    assert type_ in TYPES, type_
    targets = [r for r in dict.fromkeys(recipients) if r != from_account_id]
    if not targets:
        return
    blocked = {r for (r,) in (await tx.execute(
        select(blocks.c.account_id).where(blocks.c.account_id.in_(targets),
                                          blocks.c.target_account_id == from_account_id)
        .union(select(blocks.c.target_account_id).where(
            blocks.c.account_id == from_account_id, blocks.c.target_account_id.in_(targets)))
    )).all()}
    now = ctx.clock.now()
    rows = [{"id": ctx.ids.next(), "account_id": r, "from_account_id": from_account_id,
             "type": type_, "status_id": status_id, "created_at": now}
            for r in targets if r not in blocked]
    if rows:
        await tx.execute(insert(notifications), rows)



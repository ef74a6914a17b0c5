"""Set-up shortcuts for the read-path tests (timelines, notifications, search, marks).

Follows, blocks, mutes, favourites, bookmarks, reblogs and pins are being built in
actions/relationships.py and actions/interactions.py; until their endpoints land these
helpers write the rows directly with `ctx.db.write()`, with the same side effects the actions
have (counters, home-timeline delivery, notifications), so the read paths see realistic data.
Switch each to the HTTP endpoint once it exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from tests.helpers import Client, User
from townsquare.actions.notify import notify
from townsquare.store.tables import (
    accounts,
    blocks,
    bookmarks,
    favourites,
    follows,
    media,
    mutes,
    pins,
    statuses,
)
from townsquare.timelines.base import Entry


async def follow(client: Client, follower: User, target: User) -> None:
    ctx = client.ctx
    async with ctx.db.write() as tx:
        await tx.execute(insert(follows).values(
            id=ctx.ids.next(), account_id=follower.id, target_account_id=target.id,
            show_reblogs=True, notify=False, created_at=ctx.clock.now()))
        await tx.execute(update(accounts).where(accounts.c.id == follower.id).values(
            following_count=accounts.c.following_count + 1))
        await tx.execute(update(accounts).where(accounts.c.id == target.id).values(
            followers_count=accounts.c.followers_count + 1))
        await ctx.timelines.followed(tx, follower.id, target.id)
        await notify(ctx, tx, [target.id], follower.id, "follow")


async def block(client: Client, blocker: User, target: User) -> None:
    ctx = client.ctx
    async with ctx.db.write() as tx:
        await tx.execute(insert(blocks).values(id=ctx.ids.next(), account_id=blocker.id,
                                               target_account_id=target.id,
                                               created_at=ctx.clock.now()))


async def mute(client: Client, muter: User, target: User, *, notifications: bool = True,
               expires_in: float | None = None) -> None:
    ctx = client.ctx
    now = ctx.clock.now()
    from datetime import timedelta

    expires = now + timedelta(seconds=expires_in) if expires_in is not None else None
    async with ctx.db.write() as tx:
        await tx.execute(insert(mutes).values(
            id=ctx.ids.next(), account_id=muter.id, target_account_id=target.id,
            hide_notifications=notifications, expires_at=expires, created_at=now))


async def _status(tx: Any, status_id: int) -> Any:
    return (await tx.execute(select(statuses).where(statuses.c.id == int(status_id)))).one()


async def favourite(client: Client, user: User, status_id: str) -> int:
    ctx = client.ctx
    mark_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        row = await _status(tx, int(status_id))
        await tx.execute(insert(favourites).values(id=mark_id, account_id=user.id,
                                                   status_id=row.id, created_at=ctx.clock.now()))
        await tx.execute(update(statuses).where(statuses.c.id == row.id).values(
            favourites_count=statuses.c.favourites_count + 1))
        await notify(ctx, tx, [row.account_id], user.id, "favourite", row.id)
    return mark_id


async def bookmark(client: Client, user: User, status_id: str) -> int:
    ctx = client.ctx
    mark_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        await tx.execute(insert(bookmarks).values(id=mark_id, account_id=user.id,
                                                  status_id=int(status_id),
                                                  created_at=ctx.clock.now()))
    return mark_id


async def pin(client: Client, user: User, status_id: str) -> None:
    ctx = client.ctx
    async with ctx.db.write() as tx:
        await tx.execute(insert(pins).values(id=ctx.ids.next(), account_id=user.id,
                                             status_id=int(status_id),
                                             created_at=ctx.clock.now()))


async def reblog(client: Client, user: User, status_id: str) -> str:
    ctx = client.ctx
    reblog_id = ctx.ids.next()
    async with ctx.db.write() as tx:
        row = await _status(tx, int(status_id))
        await tx.execute(insert(statuses).values(
            id=reblog_id, account_id=user.id, text="", content="", spoiler_text="",
            visibility=row.visibility, sensitive=False, reblog_of_id=row.id,
            replies_count=0, reblogs_count=0, favourites_count=0, quotes_count=0,
            created_at=ctx.clock.now()))
        await tx.execute(update(statuses).where(statuses.c.id == row.id).values(
            reblogs_count=statuses.c.reblogs_count + 1))
        await notify(ctx, tx, [row.account_id], user.id, "reblog", row.id)
        await ctx.timelines.deliver(tx, Entry(reblog_id, user.id, row.account_id,
                                              row.visibility))
    return str(reblog_id)


async def attach_media(client: Client, user: User, status_id: str) -> None:
    """A media row on an existing post (uploads belong to the media engineer's endpoint)."""
    ctx = client.ctx
    async with ctx.db.write() as tx:
        await tx.execute(insert(media).values(
            id=ctx.ids.next(), account_id=user.id, status_id=int(status_id), position=0,
            type="image", mime="image/png", file_name=f"{status_id}.png",
            preview_name=f"{status_id}-small.png", size=100, width=10, height=10,
            preview_width=10, preview_height=10, focus_x=0.0, focus_y=0.0,
            created_at=ctx.clock.now()))


def ids(body: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in body]


def next_link(response: Any) -> str | None:
    """The rel="next" URL of a Link header, if any."""
    for part in response.headers.get("link", "").split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None


def prev_link(response: Any) -> str | None:
    for part in response.headers.get("link", "").split(","):
        if 'rel="prev"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None

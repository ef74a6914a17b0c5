"""Set-up shortcuts for the read-path tests (timelines, notifications, search, marks).

Relationships and interactions go through their HTTP endpoints, so these tests exercise
the real write paths; only attaching media to an existing post writes a row directly (the
upload endpoint needs real images, which would slow these tests for nothing they check).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from tests.helpers import Client, User
from townsquare.queries.statuses import forget_status
from townsquare.store.tables import bookmarks, favourites, media


async def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def follow(client: Client, follower: User, target: User) -> None:
    await _ok(await client.post(f"/api/v1/accounts/{target.id}/follow", as_=follower))


async def block(client: Client, blocker: User, target: User) -> None:
    await _ok(await client.post(f"/api/v1/accounts/{target.id}/block", as_=blocker))


async def mute(client: Client, muter: User, target: User, *, notifications: bool = True,
               expires_in: int | None = None) -> None:
    body: dict[str, Any] = {"notifications": notifications}
    if expires_in is not None:
        body["duration"] = expires_in
    await _ok(await client.post(f"/api/v1/accounts/{target.id}/mute", as_=muter, json=body))


async def _mark_id(client: Client, table: Any, user: User, status_id: str) -> int:
    async with client.ctx.db.read() as conn:
        return int((await conn.execute(select(table.c.id).where(
            table.c.account_id == user.id, table.c.status_id == int(status_id)))).scalar_one())


async def favourite(client: Client, user: User, status_id: str) -> int:
    """Favourite via the API; returns the favourite's row id (what the list paginates by)."""
    await _ok(await client.post(f"/api/v1/statuses/{status_id}/favourite", as_=user))
    return await _mark_id(client, favourites, user, status_id)


async def bookmark(client: Client, user: User, status_id: str) -> int:
    await _ok(await client.post(f"/api/v1/statuses/{status_id}/bookmark", as_=user))
    return await _mark_id(client, bookmarks, user, status_id)


async def pin(client: Client, user: User, status_id: str) -> None:
    await _ok(await client.post(f"/api/v1/statuses/{status_id}/pin", as_=user))


async def reblog(client: Client, user: User, status_id: str) -> str:
    body = await _ok(await client.post(f"/api/v1/statuses/{status_id}/reblog", as_=user))
    return str(body["id"])


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
    # This shortcut writes around the actions (which attach media only when posting or
    # editing), so it drops the post's cached parts itself, as edit does.
    forget_status(ctx, int(status_id))


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

"""/api/v1/markers: where the reader stopped in home and notifications."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.markers import TIMELINES, save_markers
from townsquare.api import auth, params
from townsquare.api.entities import Marker
from townsquare.api.errors import ApiError
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.model.clock import iso, utc
from townsquare.store.tables import markers

r = Routes()


class GetParams(msgspec.Struct):
    timeline: list[str] = []


class Position(msgspec.Struct):
    last_read_id: str | int | None = None


class SaveParams(msgspec.Struct):
    home: Position | None = None
    notifications: Position | None = None


async def _markers(ctx: Context, account_id: int, timelines: list[str]) -> dict[str, Marker]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(markers).where(
            markers.c.account_id == account_id, markers.c.timeline.in_(timelines)))).all()
    return {row.timeline: Marker(last_read_id=str(row.last_read_id), version=row.version,
                                 updated_at=iso(utc(row.updated_at))) for row in rows}


@r.get("/api/v1/markers", params=GetParams, response=dict[str, Marker],
       scope="read:statuses")
async def get_markers(request: Request) -> Response:
    """Saved read positions of the requested timelines (home, notifications)."""
    viewer = await auth.require_user(request, "read:statuses")
    p = await params.parse(request, GetParams)
    wanted = [t for t in p.timeline if t in TIMELINES]
    return ok(await _markers(auth.ctx_of(request), viewer, wanted) if wanted else {})


def _position(name: str, pos: Position) -> int:
    raw: Any = pos.last_read_id
    text = str(raw) if raw is not None else ""
    if not text.isdigit() or len(text) > 19:
        raise ApiError(422, f"Validation failed: {name}[last_read_id] must be an id")
    return int(text)


@r.post("/api/v1/markers", params=SaveParams, response=dict[str, Marker],
        scope="write:statuses")
async def post_markers(request: Request) -> Response:
    """Save read positions (home[last_read_id], notifications[last_read_id])."""
    viewer = await auth.require_user(request, "write:statuses")
    p = await params.parse(request, SaveParams)
    positions = {name: _position(name, pos)
                 for name, pos in (("home", p.home), ("notifications", p.notifications))
                 if pos is not None}
    if not positions:
        raise ApiError(422, "Validation failed: give home[last_read_id] or "
                       "notifications[last_read_id]")
    ctx = auth.ctx_of(request)
    await save_markers(ctx, viewer, positions)
    return ok(await _markers(ctx, viewer, list(positions)))


routes = r.routes

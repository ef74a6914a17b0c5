"""/api/v1/polls: view a poll, vote in it. The post's visibility applies to its poll."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions.polls import vote
from townsquare.api import auth, params
from townsquare.api.entities import Poll
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.context import Context
from townsquare.queries.statuses import load_one
from townsquare.store.tables import polls

r = Routes()


class VoteParams(msgspec.Struct):
    choices: list[int] = []


async def _poll(ctx: Context, poll_id: int, viewer: int | None) -> Poll:
    async with ctx.db.read() as conn:
        status_id = (await conn.execute(select(polls.c.status_id)
                                        .where(polls.c.id == poll_id))).scalar_one_or_none()
        status = None if status_id is None else await load_one(ctx, conn, status_id, viewer)
    if status is None or status.poll is None:
        raise not_found("Poll")
    return status.poll


@r.get("/api/v1/polls/{id}", response=Poll)
async def get_poll(request: Request) -> Response:
    """View a poll (results hidden until it ends when the author chose so)."""
    viewer = await auth.viewer_id(request, "read:statuses")
    poll_id = params.parse_id(request.path_params["id"], "Poll")
    return ok(await _poll(auth.ctx_of(request), poll_id, viewer))


@r.post("/api/v1/polls/{id}/votes", params=VoteParams, response=Poll, scope="write:statuses")
async def vote_poll(request: Request) -> Response:
    """Vote once in a poll: `choices[]` are option indexes from 0."""
    viewer = await auth.require_user(request, "write:statuses")
    poll_id = params.parse_id(request.path_params["id"], "Poll")
    p = await params.parse(request, VoteParams)
    ctx = auth.ctx_of(request)
    await vote(ctx, viewer, poll_id, p.choices)
    return ok(await _poll(ctx, poll_id, viewer))


routes = r.routes

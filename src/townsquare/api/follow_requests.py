"""/api/v1/follow_requests: requests to follow the signed-in (locked) account.

As in Mastodon, `:id` in authorize/reject is the requesting account's id.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import relationships as rel
from townsquare.api import auth
from townsquare.api.entities import Account, Relationship
from townsquare.api.relationships import ListParams, answer, own_list, target_of
from townsquare.api.routing import Routes
from townsquare.store.tables import follow_requests

r = Routes()


@r.get("/api/v1/follow_requests", params=ListParams, response=list[Account],
       scope="read:follows")
async def list_requests(request: Request) -> Response:
    """Accounts asking to follow the signed-in account, newest first."""
    return await own_list(request, follow_requests, "read:follows", incoming=True)


@r.post("/api/v1/follow_requests/{id:int}/authorize", response=Relationship,
        scope="write:follows")
async def authorize(request: Request) -> Response:
    """Accept a follow request."""
    viewer = await auth.require_user(request, "write:follows")
    ctx = auth.ctx_of(request)
    requester = target_of(request)
    await rel.authorize_request(ctx, viewer, requester)
    return await answer(ctx, viewer, requester)


@r.post("/api/v1/follow_requests/{id:int}/reject", response=Relationship,
        scope="write:follows")
async def reject(request: Request) -> Response:
    """Decline a follow request."""
    viewer = await auth.require_user(request, "write:follows")
    ctx = auth.ctx_of(request)
    requester = target_of(request)
    await rel.reject_request(ctx, viewer, requester)
    return await answer(ctx, viewer, requester)


routes = r.routes

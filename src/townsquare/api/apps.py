"""/api/v1/apps: register a client application, and check an app's token."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import oauth as oauth_actions
from townsquare.actions.oauth import NewApp
from townsquare.api import auth, params
from townsquare.api import scopes as scope_rules
from townsquare.api.entities import App
from townsquare.api.errors import ApiError, not_found, unprocessable
from townsquare.api.respond import ok
from townsquare.api.routing import Routes

r = Routes()


class AppParams(msgspec.Struct):
    client_name: str = ""
    redirect_uris: list[str] = []  # a string (one URI, or several one per line) or an array
    scopes: str = "read"
    website: str | None = None


def app_entity(row: Any, *, with_secret: bool) -> App:
    uris = oauth_actions.redirect_uris(row)
    return App(
        id=str(row.id), name=row.name, website=row.website, scopes=row.scopes.split(),
        redirect_uri="\n".join(uris), redirect_uris=uris,
        client_id=row.client_id if with_secret else None,
        client_secret=row.client_secret if with_secret else None,
    )


@r.post("/api/v1/apps", params=AppParams, response=App)
async def create_app(request: Request) -> Response:
    """Register a client application (returns its client_id and client_secret)."""
    p = await params.parse(request, AppParams)
    uris = [u.strip() for raw in p.redirect_uris for u in raw.splitlines() if u.strip()]
    try:
        wanted = scope_rules.parse(p.scopes or "read")
    except ValueError as exc:
        raise unprocessable(f"Validation failed: {exc}") from None
    ctx = auth.ctx_of(request)
    created = await oauth_actions.create_app(ctx, NewApp(
        name=p.client_name, redirect_uris=uris, scopes=wanted, website=p.website or None))
    row = await oauth_actions.app_by_id(ctx, created.id)
    return ok(app_entity(row, with_secret=True))


@r.get("/api/v1/apps/verify_credentials", response=App)
async def verify_app_credentials(request: Request) -> Response:
    """The application the token belongs to (user or app token)."""
    a = await auth.authenticate(request)
    if a is None:
        raise ApiError(401, "The access token is invalid")
    ctx = auth.ctx_of(request)
    row = await oauth_actions.app_by_id(ctx, a.app_id) if a.app_id is not None else None
    if row is None:
        raise not_found("Application")
    return ok(app_entity(row, with_secret=False))


routes = r.routes

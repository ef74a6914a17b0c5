"""/api/v1/notifications: list, view one, dismiss, clear, and the unread count."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import notifications as actions
from townsquare.api import auth, params
from townsquare.api.entities import Empty, Notification
from townsquare.api.errors import not_found
from townsquare.api.pagination import link_header, page_of
from townsquare.api.respond import ok, raw_json
from townsquare.api.routing import Routes
from townsquare.queries import notifications as queries
from townsquare.queries.status_pages import page_json

r = Routes()


class ListParams(msgspec.Struct):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: str | None = None


class UnreadParams(msgspec.Struct):
    limit: int = 100
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: str | None = None


class UnreadCount(msgspec.Struct):
    count: int


def _filter(types: list[str], exclude: list[str], account_id: str | None
            ) -> queries.NotificationFilter:
    # An id that cannot exist matches nothing (0 is never a snowflake we hand out).
    aid = None
    if account_id:
        aid = int(account_id) if account_id.isdigit() and len(account_id) <= 19 else 0
    return queries.NotificationFilter(tuple(types), tuple(exclude), aid)


@r.get("/api/v1/notifications", params=ListParams, response=list[Notification],
       scope="read:notifications")
async def list_notifications(request: Request) -> Response:
    """Notifications for the signed-in account, newest first."""
    reader = (await auth.require(request, "read:notifications")).viewer
    assert reader is not None
    p = await params.parse(request, ListParams)
    page = page_of(request, default=40, maximum=80)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        rows = await queries.page_rows(ctx, conn, reader.id, page,
                                       _filter(p.types, p.exclude_types, p.account_id))
        items = await queries.hydrate_json(ctx, conn, rows, reader)
    return raw_json(page_json(items), headers=link_header(request, page,
                                                          [row.id for row in rows]))


@r.get("/api/v1/notifications/unread_count", params=UnreadParams, response=UnreadCount,
       scope="read:notifications")
async def unread(request: Request) -> Response:
    """How many notifications arrived after the notifications marker."""
    viewer = await auth.require_user(request, "read:notifications")
    p = await params.parse(request, UnreadParams)
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        count = await queries.unread_count(ctx, conn, viewer,
                                           _filter(p.types, p.exclude_types, p.account_id),
                                           max(1, min(p.limit, 1000)))
    return ok(UnreadCount(count=count))


@r.post("/api/v1/notifications/clear", response=Empty, scope="write:notifications")
async def clear(request: Request) -> Response:
    """Dismiss all notifications."""
    viewer = await auth.require_user(request, "write:notifications")
    await actions.clear(auth.ctx_of(request), viewer)
    return ok(Empty())


@r.get("/api/v1/notifications/{id}", response=Notification, scope="read:notifications")
async def get_notification(request: Request) -> Response:
    """One notification of the signed-in account."""
    viewer = await auth.require_user(request, "read:notifications")
    notification_id = params.parse_id(request.path_params["id"], "Notification")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await queries.one_row(ctx, conn, viewer, notification_id)
        items = await queries.hydrate(ctx, conn, [row], viewer) if row is not None else []
    if not items:
        raise not_found("Notification")
    return ok(items[0])


@r.post("/api/v1/notifications/{id}/dismiss", response=Empty, scope="write:notifications")
async def dismiss(request: Request) -> Response:
    """Dismiss one notification."""
    viewer = await auth.require_user(request, "write:notifications")
    notification_id = params.parse_id(request.path_params["id"], "Notification")
    await actions.dismiss(auth.ctx_of(request), viewer, notification_id)
    return ok(Empty())


routes = r.routes

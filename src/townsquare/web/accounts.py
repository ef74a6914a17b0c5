"""Profiles, followers and following, follow/mute/block, follow requests, profile settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import relationships as rel
from townsquare.actions.accounts import ProfileUpdate, update_profile
from townsquare.actions.errors import ActionError
from townsquare.actions.media import check_size, set_profile_image
from townsquare.queries import timelines as tq
from townsquare.queries.accounts import account_by_username, account_entity, account_row
from townsquare.queries.relationships import edge_list, follow_list, relationship
from townsquare.queries.statuses import load_ordered
from townsquare.store.tables import follow_requests
from townsquare.web import session
from townsquare.web.listing import next_url, page_of
from townsquare.web.render import Pages, field, page, redirect, safe_next
from townsquare.web.session import WebError

p = Pages()

RelAct = Callable[[Any, int, int], Awaitable[None]]
ACTIONS: dict[str, RelAct] = {
    "follow": rel.follow, "unfollow": rel.unfollow, "block": rel.block,
    "unblock": rel.unblock, "mute": rel.mute, "unmute": rel.unmute,
}


async def _account(request: Request) -> Any:
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await account_by_username(conn, request.path_params["username"])
    if row is None or row.suspended_at is not None:
        raise WebError(404, "There is no account with this name here.")
    return row


@p.get("/@{username}")
async def profile(request: Request) -> Response:
    """An account's profile and posts."""
    ctx = session.ctx_of(request)
    row = await _account(request)
    viewer = await session.viewer(request)
    vid = viewer.id if viewer else None
    tab = request.query_params.get("tab", "posts")
    flt = tq.AccountFilter(exclude_replies=tab != "replies",
                           only_media=tab == "media")
    pg = page_of(request)
    async with ctx.db.read() as conn:
        ids = await tq.account_status_ids(conn, vid, row.id, pg, flt)
        statuses = await load_ordered(ctx, conn, ids, vid)
        relation = (await relationship(conn, vid, row.id, ctx.clock.now())
                    if vid is not None and vid != row.id else None)
    account = account_entity(row, ctx.settings)
    return await page(request, "profile.html", "_feed.html", account=account, statuses=statuses,
                      relation=relation, tab=tab, next_url=next_url(request, ids),
                      more_page=pg.max_id is not None,
                      empty="No posts yet." if tab != "media" else "No media yet.")


async def _follow_page(request: Request, followers: bool) -> Response:
    ctx = session.ctx_of(request)
    row = await _account(request)
    viewer = await session.viewer(request)
    pg = page_of(request, 40)
    async with ctx.db.read() as conn:
        found = await follow_list(conn, ctx.settings, row.id, viewer.id if viewer else None,
                                  pg, ctx.clock.now(), followers=followers)
    return await page(request, "accounts.html", account=account_entity(row, ctx.settings),
                      heading="Followers" if followers else "Following",
                      accounts=found.accounts, next_url=next_url(request, found.row_ids, 40))


@p.get("/@{username}/followers")
async def followers(request: Request) -> Response:
    """Who follows this account."""
    return await _follow_page(request, True)


@p.get("/@{username}/following")
async def following(request: Request) -> Response:
    """Whom this account follows."""
    return await _follow_page(request, False)


@p.post("/@{username}/{action}")
async def relate(request: Request, form: FormData) -> Response:
    """Follow, unfollow, mute, unmute, block or unblock an account."""
    viewer = await session.require_viewer(request)
    fn = ACTIONS.get(request.path_params["action"])
    if fn is None:
        raise WebError(404, "No such action.")
    row = await _account(request)
    if row.id == viewer.id:
        raise WebError(422, "That is you.")
    await fn(session.ctx_of(request), viewer.id, row.id)
    return redirect(safe_next(field(form, "next"), f"/@{row.username}"))


@p.get("/follow_requests")
async def requests_page(request: Request) -> Response:
    """Accounts asking to follow you."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    pg = page_of(request, 40)
    async with ctx.db.read() as conn:
        found = await edge_list(conn, ctx.settings, follow_requests, viewer.id, pg,
                                ctx.clock.now(), incoming=True)
    return await page(request, "follow_requests.html", accounts=found.accounts,
                      next_url=next_url(request, found.row_ids, 40))


@p.post("/follow_requests/{id}/{action}")
async def answer_request(request: Request, form: FormData) -> Response:
    """Accept or reject a follow request."""
    viewer = await session.require_viewer(request)
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 19:
        raise WebError(404, "Follow request not found")
    action = request.path_params["action"]
    ctx = session.ctx_of(request)
    if action == "authorize":
        await rel.authorize_request(ctx, viewer.id, int(raw))
    elif action == "reject":
        await rel.reject_request(ctx, viewer.id, int(raw))
    else:
        raise WebError(404, "No such action.")
    return redirect(safe_next(field(form, "next"), "/follow_requests"))


@p.get("/settings/profile")
async def settings_form(request: Request) -> Response:
    """Edit your profile."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        row = await account_row(conn, viewer.id)
    return await page(request, "settings.html", row=row, saved=bool(
        request.query_params.get("saved")), error=None)


@p.post("/settings/profile")
async def save_settings(request: Request, form: FormData) -> Response:
    """Save your profile."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    changes = ProfileUpdate(display_name=field(form, "display_name"), note=field(form, "note"),
                            locked=bool(field(form, "locked")), bot=bool(field(form, "bot")))
    try:
        await update_profile(ctx, viewer.id, changes)
        for kind in ("avatar", "header"):
            upload = form.get(kind)
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(ctx.settings.max_image_bytes + 1)
                check_size(ctx.settings, len(data))
                await set_profile_image(ctx, viewer.id, kind, data, upload.filename)
    except ActionError as exc:
        async with ctx.db.read() as conn:
            row = await account_row(conn, viewer.id)
        return await page(request, "settings.html", status=exc.status, row=row, saved=False,
                          error=exc.message.removeprefix("Validation failed: "))
    return redirect("/settings/profile?saved=1")


pages = p.routes

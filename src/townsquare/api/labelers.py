"""Labelers and each person's label choices, hiding posts, reply policies, detaching quotes
(townsquare's own, under /api/v1/townsquare/...)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import labelers as act
from townsquare.actions import user_controls
from townsquare.api import auth, params
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.moderation.policy import PLATFORM_LABELER
from townsquare.queries import choices
from townsquare.store.tables_moderation import (
    label_preferences,
    labeler_subscriptions,
)

r = Routes()


class DefinitionParams(msgspec.Struct):
    value: str = ""
    description: str = ""
    default_setting: str = "warn"


class LabelParams(msgspec.Struct):
    value: str = ""
    status_id: str | None = None
    account_id: str | None = None


class PreferenceParams(msgspec.Struct):
    labeler_id: str = "0"
    value: str = ""
    setting: str = ""


class PolicyParams(msgspec.Struct):
    policy: str = ""


@r.get("/api/v1/townsquare/labelers", response=list[dict[str, Any]])
async def list_labelers(request: Request) -> Response:
    """Every labeler with its label definitions (the platform is labeler 0); signed in,
    with the reader's subscription and setting for each label."""
    ctx = auth.ctx_of(request)
    viewer = await auth.viewer_id(request, "read:accounts")
    async with ctx.db.read() as conn:
        found = await choices.labelers(conn, viewer or 0)
    return ok([{"id": str(x.id), "acct": None if x.id == PLATFORM_LABELER else x.name,
                "name": x.name, "subscribed": x.subscribed,
                "labels": [{"value": d["value"], "description": d["description"],
                            "default_setting": d["default"], "setting": d["setting"]}
                           for d in x.labels]} for x in found])


@r.post("/api/v1/townsquare/labelers/definitions", params=DefinitionParams,
        response=dict[str, Any], scope="write:accounts")
async def define(request: Request) -> Response:
    """Publish (or change) a label definition of your own labeler."""
    account_id = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, DefinitionParams)
    await act.define_label(auth.ctx_of(request), account_id, p.value, p.description,
                           p.default_setting)
    return ok({"labeler_id": str(account_id), "value": p.value})


@r.post("/api/v1/townsquare/labelers/labels", params=LabelParams, response=dict[str, Any],
        scope="write:accounts")
async def apply(request: Request) -> Response:
    """Apply one of your labels to a post or an account."""
    account_id = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, LabelParams)
    label_id = await act.apply_label(
        auth.ctx_of(request), account_id, p.value,
        status_id=params.parse_id(p.status_id, "Status") if p.status_id else None,
        account_id=params.parse_id(p.account_id, "Account") if p.account_id else None)
    return ok({"id": str(label_id)})


@r.delete("/api/v1/townsquare/labelers/labels/{id}", response=dict[str, Any],
          scope="write:accounts")
async def unapply(request: Request) -> Response:
    """Take one of your labels off again."""
    account_id = await auth.require_user(request, "write:accounts")
    await act.remove_label(auth.ctx_of(request), account_id,
                           params.parse_id(request.path_params["id"], "Label"))
    return ok({})


@r.post("/api/v1/townsquare/labelers/{id}/subscribe", response=dict[str, Any],
        scope="write:accounts")
async def subscribe(request: Request) -> Response:
    """See a labeler's labels from now on."""
    account_id = await auth.require_user(request, "write:accounts")
    await act.subscribe(auth.ctx_of(request), account_id,
                        params.parse_id(request.path_params["id"], "Account"))
    return ok({"subscribed": True})


@r.post("/api/v1/townsquare/labelers/{id}/unsubscribe", response=dict[str, Any],
        scope="write:accounts")
async def unsubscribe(request: Request) -> Response:
    """Stop seeing a labeler's labels."""
    account_id = await auth.require_user(request, "write:accounts")
    await act.subscribe(auth.ctx_of(request), account_id,
                        params.parse_id(request.path_params["id"], "Account"), on=False)
    return ok({"subscribed": False})


@r.get("/api/v1/townsquare/label_preferences", response=dict[str, Any],
       scope="read:accounts")
async def preferences(request: Request) -> Response:
    """Your subscriptions and your show / warn / hide choice per label."""
    account_id = await auth.require_user(request, "read:accounts")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        subs = (await conn.execute(select(labeler_subscriptions.c.labeler_id).where(
            labeler_subscriptions.c.account_id == account_id))).scalars().all()
        prefs = (await conn.execute(select(label_preferences).where(
            label_preferences.c.account_id == account_id))).all()
    return ok({"subscriptions": [str(s) for s in subs],
               "preferences": [{"labeler_id": str(p.labeler_id), "value": p.value,
                                "setting": p.setting} for p in prefs]})


@r.put("/api/v1/townsquare/label_preferences", params=PreferenceParams,
       response=dict[str, Any], scope="write:accounts")
async def set_preference(request: Request) -> Response:
    """Choose show, warn or hide for one label of one labeler (0 = the platform)."""
    account_id = await auth.require_user(request, "write:accounts")
    p = await params.parse(request, PreferenceParams)
    labeler_id = 0 if p.labeler_id in ("", "0") else params.parse_id(p.labeler_id, "Labeler")
    await act.set_preference(auth.ctx_of(request), account_id, labeler_id, p.value, p.setting)
    return ok({"labeler_id": str(labeler_id), "value": p.value, "setting": p.setting})


@r.post("/api/v1/townsquare/statuses/{id}/hide", response=dict[str, Any],
        scope="write:statuses")
async def hide(request: Request) -> Response:
    """Hide a post from your own view (timelines, threads, search)."""
    account_id = await auth.require_user(request, "write:statuses")
    await user_controls.hide_status(auth.ctx_of(request), account_id,
                                    params.parse_id(request.path_params["id"], "Status"))
    return ok({"hidden": True})


@r.post("/api/v1/townsquare/statuses/{id}/unhide", response=dict[str, Any],
        scope="write:statuses")
async def unhide(request: Request) -> Response:
    """Show a post you hid again."""
    account_id = await auth.require_user(request, "write:statuses")
    await user_controls.hide_status(auth.ctx_of(request), account_id,
                                    params.parse_id(request.path_params["id"], "Status"),
                                    hide=False)
    return ok({"hidden": False})


@r.put("/api/v1/townsquare/statuses/{id}/reply_policy", params=PolicyParams,
       response=dict[str, Any], scope="write:statuses")
async def reply_policy(request: Request) -> Response:
    """Choose who may reply to your post: everyone, followers, or mentioned."""
    account_id = await auth.require_user(request, "write:statuses")
    p = await params.parse(request, PolicyParams)
    await user_controls.set_reply_policy(auth.ctx_of(request), account_id,
                                         params.parse_id(request.path_params["id"], "Status"),
                                         p.policy)
    return ok({"policy": p.policy})


@r.post("/api/v1/townsquare/statuses/{id}/detach_quote", response=dict[str, Any],
        scope="write:statuses")
async def detach(request: Request) -> Response:
    """Detach your post from a quote of it (`id` is the quoting post)."""
    account_id = await auth.require_user(request, "write:statuses")
    await user_controls.detach_quote(auth.ctx_of(request), account_id,
                                     params.parse_id(request.path_params["id"], "Status"))
    return ok({"detached": True})


routes = r.routes

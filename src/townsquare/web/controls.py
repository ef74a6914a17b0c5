"""Each person's own controls: muted words (filters v2), label preferences and labeler
subscriptions, mute and block lists, and recommendation of their posts."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import feeds as feed_actions
from townsquare.actions import filters as fa
from townsquare.actions import labelers as la
from townsquare.actions.errors import ActionError
from townsquare.moderation.policy import LABEL_SETTINGS
from townsquare.queries import choices
from townsquare.queries.filters import load_filters
from townsquare.queries.relationships import edge_list
from townsquare.store.tables import blocks, mutes
from townsquare.web import session
from townsquare.web.listing import next_url, page_of
from townsquare.web.render import Pages, field, fields, page, redirect
from townsquare.web.session import WebError

p = Pages()

EXPIRY = {"": "Never", "1800": "30 minutes", "3600": "1 hour", "21600": "6 hours",
          "86400": "1 day", "604800": "1 week"}
CONTEXT_WORDS = {"home": "Home and lists", "notifications": "Notifications",
                 "public": "Public timelines", "thread": "Conversations",
                 "account": "Profiles"}


def _num(raw: str, what: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise WebError(404, f"This {what} does not exist.")
    return int(raw)


async def _filters_page(request: Request, status: int = 200, error: str | None = None,
                        form: FormData | None = None) -> Response:
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        found = await load_filters(conn, viewer.id)
    return await page(request, "settings_filters.html", status=status, filters=found,
                      error=error, expiry=EXPIRY, contexts=CONTEXT_WORDS,
                      form=form or FormData(), saved=bool(request.query_params.get("saved")))


@p.get("/settings/filters")
async def filters_page(request: Request) -> Response:
    """Muted words: warn or hide posts containing them."""
    return await _filters_page(request)


@p.post("/settings/filters")
async def add_filter(request: Request, form: FormData) -> Response:
    """Add muted words (one filter, one or more keywords)."""
    viewer = await session.require_viewer(request)
    words = [w.strip() for w in field(form, "keywords").replace("\n", ",").split(",")
             if w.strip()]
    expires = field(form, "expires_in")
    new = fa.FilterInput(
        title=field(form, "title").strip() or ", ".join(words)[:200],
        context=fields(form, "context"), filter_action=field(form, "filter_action", "warn"),
        expires_in=int(expires) if expires.isdigit() else None,
        except_following=bool(field(form, "except_following")),
        keywords=[fa.Keyword(keyword=w, whole_word=bool(field(form, "whole_word")))
                  for w in words])
    try:
        if not words:
            raise WebError(422, "Add at least one word or phrase.")
        await fa.create_filter(session.ctx_of(request), viewer.id, new)
    except (ActionError, WebError) as exc:
        return await _filters_page(request, exc.status,
                                   exc.message.removeprefix("Validation failed: "), form)
    return redirect("/settings/filters?saved=1")


@p.post("/settings/filters/{id}/delete")
async def remove_filter(request: Request, form: FormData) -> Response:
    """Stop muting these words."""
    viewer = await session.require_viewer(request)
    await fa.delete_filter(session.ctx_of(request), viewer.id,
                           _num(request.path_params["id"], "filter"))
    return redirect("/settings/filters")


@p.get("/settings/labels")
async def labels_page(request: Request) -> Response:
    """Show, warn or hide each label; subscribe to labelers."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        found = await choices.labelers(conn, viewer.id)
    return await page(request, "settings_labels.html", labelers=found,
                      label_settings=LABEL_SETTINGS,
                      saved=bool(request.query_params.get("saved")))


@p.post("/settings/labels")
async def set_label(request: Request, form: FormData) -> Response:
    """Choose show, warn or hide for one label."""
    viewer = await session.require_viewer(request)
    await la.set_preference(session.ctx_of(request), viewer.id,
                            _num(field(form, "labeler_id", "0"), "labeler"),
                            field(form, "value"), field(form, "setting"))
    return redirect("/settings/labels?saved=1")


@p.post("/settings/labelers/{id}/{action}")
async def subscribe_labeler(request: Request, form: FormData) -> Response:
    """Subscribe to a labeler (its labels then apply to what you see), or stop."""
    viewer = await session.require_viewer(request)
    action = request.path_params["action"]
    if action not in ("subscribe", "unsubscribe"):
        raise WebError(404, "No such action.")
    await la.subscribe(session.ctx_of(request), viewer.id,
                       _num(request.path_params["id"], "labeler"), action == "subscribe")
    return redirect("/settings/labels?saved=1")


async def _edges(request: Request, muted: bool) -> Response:
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    pg = page_of(request, 40)
    async with ctx.db.read() as conn:
        found = await edge_list(conn, ctx.settings, mutes if muted else blocks, viewer.id, pg,
                                ctx.clock.now())
    return await page(request, "settings_edges.html", accounts=found.accounts, muted=muted,
                      next_url=next_url(request, found.row_ids, 40))


@p.get("/settings/mutes")
async def muted(request: Request) -> Response:
    """Accounts you muted."""
    return await _edges(request, True)


@p.get("/settings/blocks")
async def blocked(request: Request) -> Response:
    """Accounts you blocked."""
    return await _edges(request, False)


@p.get("/settings/recommendation")
async def recommendation_page(request: Request) -> Response:
    """Whether your posts may be recommended to people who do not follow you."""
    viewer = await session.require_viewer(request)
    ctx = session.ctx_of(request)
    async with ctx.db.read() as conn:
        on = await choices.account_recommendable(conn, viewer.id)
    return await page(request, "settings_recommendation.html", recommend=on,
                      saved=bool(request.query_params.get("saved")))


@p.post("/settings/recommendation")
async def set_recommendation(request: Request, form: FormData) -> Response:
    """Opt all your posts out of recommendation, or back in."""
    viewer = await session.require_viewer(request)
    await feed_actions.set_account_recommendable(session.ctx_of(request), viewer.id,
                                                 field(form, "recommend") == "1")
    return redirect("/settings/recommendation?saved=1")


pages = p.routes

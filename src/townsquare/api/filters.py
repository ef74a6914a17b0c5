"""Mastodon filters v2 (`/api/v2/filters`): muted words and phrases with expiry, warn or hide.

townsquare adds `except_following` ("not from people I follow"), reported under `townsquare`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.actions import filters as act
from townsquare.api import auth, params
from townsquare.api.entities import Filter, FilterKeyword
from townsquare.api.errors import not_found
from townsquare.api.respond import ok
from townsquare.api.routing import Routes
from townsquare.queries.filters import load_filters

r = Routes()


class KeywordParams(msgspec.Struct):
    keyword: str = ""
    whole_word: bool = True
    id: str | None = None
    _destroy: bool = False


class FilterParams(msgspec.Struct):
    title: str | None = None
    context: list[str] | None = None
    filter_action: str | None = None
    expires_in: int | None = None
    except_following: bool | None = None
    keywords_attributes: list[KeywordParams] = []


def _input(p: FilterParams, request: Request) -> act.FilterInput:
    raw = request.query_params.get("expires_in")
    return act.FilterInput(
        title=p.title, context=p.context, filter_action=p.filter_action,
        expires_in=p.expires_in, clear_expiry=p.expires_in is None and raw == "",
        except_following=p.except_following,
        keywords=[act.Keyword(keyword=k.keyword, whole_word=k.whole_word,
                              id=params.parse_id(k.id, "Keyword") if k.id else None,
                              destroy=k._destroy) for k in p.keywords_attributes])


async def _one(request: Request, account_id: int, filter_id: int) -> Response:
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        found = await load_filters(conn, account_id, filter_id)
    if not found:
        raise not_found("Filter")
    return ok(found[0])


@r.get("/api/v2/filters", response=list[Filter], scope="read:filters")
async def list_filters(request: Request) -> Response:
    """The signed-in account's filters."""
    account_id = await auth.require_user(request, "read:filters")
    ctx = auth.ctx_of(request)
    async with ctx.db.read() as conn:
        return ok(await load_filters(conn, account_id))


@r.post("/api/v2/filters", params=FilterParams, response=Filter, scope="write:filters")
async def create(request: Request) -> Response:
    """Create a filter with its keywords."""
    account_id = await auth.require_user(request, "write:filters")
    p = await params.parse(request, FilterParams)
    filter_id = await act.create_filter(auth.ctx_of(request), account_id, _input(p, request))
    return await _one(request, account_id, filter_id)


@r.get("/api/v2/filters/{id}", response=Filter, scope="read:filters")
async def get_filter(request: Request) -> Response:
    """One filter."""
    account_id = await auth.require_user(request, "read:filters")
    return await _one(request, account_id, params.parse_id(request.path_params["id"], "Filter"))


@r.put("/api/v2/filters/{id}", params=FilterParams, response=Filter, scope="write:filters")
async def update(request: Request) -> Response:
    """Change a filter; keywords_attributes add, change (with id) or remove (_destroy)."""
    account_id = await auth.require_user(request, "write:filters")
    p = await params.parse(request, FilterParams)
    filter_id = params.parse_id(request.path_params["id"], "Filter")
    await act.update_filter(auth.ctx_of(request), account_id, filter_id, _input(p, request))
    return await _one(request, account_id, filter_id)


@r.delete("/api/v2/filters/{id}", response=dict[str, Any], scope="write:filters")
async def delete(request: Request) -> Response:
    """Delete a filter."""
    account_id = await auth.require_user(request, "write:filters")
    await act.delete_filter(auth.ctx_of(request), account_id,
                            params.parse_id(request.path_params["id"], "Filter"))
    return ok({})


@r.post("/api/v2/filters/{id}/keywords", params=KeywordParams, response=FilterKeyword,
        scope="write:filters")
async def add_keyword(request: Request) -> Response:
    """Add a keyword to a filter."""
    account_id = await auth.require_user(request, "write:filters")
    p = await params.parse(request, KeywordParams)
    keyword_id = await act.add_keyword(auth.ctx_of(request), account_id,
                                       params.parse_id(request.path_params["id"], "Filter"),
                                       act.Keyword(p.keyword, p.whole_word))
    return ok(FilterKeyword(id=str(keyword_id), keyword=p.keyword.strip(),
                            whole_word=p.whole_word))


@r.delete("/api/v2/filters/keywords/{id}", response=dict[str, Any], scope="write:filters")
async def delete_keyword(request: Request) -> Response:
    """Remove a keyword."""
    account_id = await auth.require_user(request, "write:filters")
    await act.delete_keyword(auth.ctx_of(request), account_id,
                             params.parse_id(request.path_params["id"], "Keyword"))
    return ok({})


routes = r.routes

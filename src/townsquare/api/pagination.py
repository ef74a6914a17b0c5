"""Mastodon pagination: max_id / since_id / min_id / limit, and the Link header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select
from starlette.requests import Request

from townsquare.api.errors import ApiError


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


def _opt_id(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise ApiError(422, f"Validation failed: {name} must be an id")
    return int(raw)


def page_of(request: Request, default: int = 20, maximum: int = 40) -> Page:
    raw = request.query_params.get("limit")
    limit = default
    if raw:
        try:
            limit = int(raw)
        except ValueError:
            raise ApiError(422, "Validation failed: limit must be a number") from None
        limit = max(1, min(limit, maximum))
    return Page(_opt_id(request, "max_id"), _opt_id(request, "since_id"),
                _opt_id(request, "min_id"), limit)


def apply(stmt: Select[Any], column: Any, page: Page) -> Select[Any]:
    """Bound by the page's ids and order: newest first, or oldest-after-min_id first (callers
    reverse those, see `ordered`)."""
    if page.max_id is not None:
        stmt = stmt.where(column < page.max_id)
    if page.since_id is not None:
        stmt = stmt.where(column > page.since_id)
    if page.min_id is not None:
        stmt = stmt.where(column > page.min_id).order_by(column.asc())
    else:
        stmt = stmt.order_by(column.desc())
    return stmt.limit(page.limit)


def ordered(ids: list[int], page: Page) -> list[int]:
    return list(reversed(ids)) if page.min_id is not None else ids


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _base_url(scope: Any) -> str:
    """The request's URL without its query, as Starlette's `request.url` spells it (the
    Host header, else the server address), without parsing the URL twice."""
    scheme = scope.get("scheme", "http")
    path = scope["path"]
    for key, value in scope["headers"]:
        if key == b"host":
            return f"{scheme}://{value.decode('latin-1')}{path}"
    server = scope.get("server")
    if server is None:
        return path
    host, port = server
    if port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}{path}"
    return f"{scheme}://{host}:{port}{path}"


def link_header(request: Request, page: Page, ids: list[int]) -> dict[str, str]:
    """`rel="next"` first and only on a full page; `rel="prev"` whenever there are items."""
    if not ids:
        return {}
    base = _base_url(request.scope)
    keep = [(k, v) for k, v in request.query_params.multi_items()
            if k not in ("max_id", "since_id", "min_id")]
    links = []
    if len(ids) >= page.limit:
        links.append(f'<{base}?{urlencode([*keep, ("max_id", str(min(ids)))])}>; rel="next"')
    links.append(f'<{base}?{urlencode([*keep, ("min_id", str(max(ids)))])}>; rel="prev"')
    return {"Link": ", ".join(links)}

"""Mastodon pagination: max_id / since_id / min_id / limit, and the Link header."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select
from starlette.datastructures import URL, QueryParams
from starlette.requests import Request

from townsquare.api.errors import ApiError


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


_BOUNDS = ("max_id", "since_id", "min_id")


@functools.lru_cache(maxsize=4096)
def _query(query_string: bytes) -> tuple[dict[str, str], str]:
    """A query string's parameters as `request.query_params` reads them (the last value of
    each name), and its parameters other than the page bounds encoded for the Link header.
    Cached: most requests send one of a few query strings (`limit=20`), and parsing and
    encoding them cost more than the rest of pagination."""
    params = QueryParams(query_string)
    keep = urlencode([(k, v) for k, v in params.multi_items() if k not in _BOUNDS])
    return dict(params), keep


def _opt_id(values: dict[str, str], name: str) -> int | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise ApiError(422, f"Validation failed: {name} must be an id")
    return int(raw)


def page_of(request: Request, default: int = 20, maximum: int = 40) -> Page:
    values = _query(request.scope["query_string"])[0]
    raw = values.get("limit")
    limit = default
    if raw:
        try:
            limit = int(raw)
        except ValueError:
            raise ApiError(422, "Validation failed: limit must be a number") from None
        limit = max(1, min(limit, maximum))
    return Page(_opt_id(values, "max_id"), _opt_id(values, "since_id"),
                _opt_id(values, "min_id"), limit)


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


def _base_url(scope: Any) -> str:
    """`request.url` without its query, as Starlette builds it (Host header checks and path
    escaping included), remembered per host and path."""
    host = next((v for k, v in scope["headers"] if k == b"host"), None)
    server = scope.get("server")
    return _base(scope.get("scheme", "http"), host, tuple(server) if server else None,
                 scope["path"])


@functools.lru_cache(maxsize=4096)
def _base(scheme: str, host: bytes | None, server: Any, path: str) -> str:
    scope = {"scheme": scheme, "server": server, "path": path, "query_string": b"",
             "headers": [(b"host", host)] if host is not None else []}
    return str(URL(scope=scope)).rstrip("?")


def link_header(request: Request, page: Page, ids: list[int]) -> dict[str, str]:
    """`rel="next"` first and only on a full page; `rel="prev"` whenever there are items."""
    if not ids:
        return {}
    base = _base_url(request.scope)
    keep = _query(request.scope["query_string"])[1]
    base = f"{base}?{keep}&" if keep else f"{base}?"
    links = []
    if len(ids) >= page.limit:
        links.append(f'<{base}max_id={min(ids)}>; rel="next"')
    links.append(f'<{base}min_id={max(ids)}>; rel="prev"')
    return {"Link": ", ".join(links)}

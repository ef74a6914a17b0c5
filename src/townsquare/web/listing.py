"""Paging for long lists: `?max_id=` like the API, and the "Load more" link's address."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from townsquare.api.pagination import Page

PAGE_SIZE = 20


def page_of(request: Request, limit: int = PAGE_SIZE) -> Page:
    raw = request.query_params.get("max_id", "")
    max_id = int(raw) if raw.isdigit() and len(raw) <= 19 else None
    return Page(max_id=max_id, limit=limit)


def next_url(request: Request, ids: list[int], limit: int = PAGE_SIZE) -> str | None:
    """The next page's address, only after a full page."""
    if len(ids) < limit:
        return None
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "max_id"]
    return request.url.path + "?" + urlencode([*keep, ("max_id", str(min(ids)))])

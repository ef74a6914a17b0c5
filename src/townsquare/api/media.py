"""(placeholder) routes of api/media.py."""

from __future__ import annotations

from townsquare.api.routing import Routes

r = Routes()

routes = r.routes


def file_routes(ctx: object) -> list:  # type: ignore[type-arg]
    """Routes serving stored files under /media/ (filled in by the media module)."""
    return []

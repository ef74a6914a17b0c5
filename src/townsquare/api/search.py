"""(placeholder) routes of api/search.py."""

from __future__ import annotations

from townsquare.api.routing import Routes

r = Routes()

routes = r.routes

"""(placeholder) routes of api/polls.py."""

from __future__ import annotations

from townsquare.api.routing import Routes

r = Routes()

routes = r.routes

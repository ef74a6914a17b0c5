"""(placeholder) routes of api/lists_of_marks.py."""

from __future__ import annotations

from townsquare.api.routing import Routes

r = Routes()

routes = r.routes

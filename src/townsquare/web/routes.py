"""The web interface's routes, mounted after the API's (so /api/... always wins)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from townsquare.web import accounts, notifications, search, signin, statuses, timelines

routes: list[BaseRoute] = [*signin.pages, *timelines.pages, *statuses.pages,
                           *notifications.pages, *search.pages, *accounts.pages]

"""The web interface's routes, mounted after the API's (so /api/... always wins)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from townsquare.web import (
    accounts,
    controls,
    feeds,
    integrity,
    moderation,
    notes,
    notifications,
    search,
    signin,
    statuses,
    timelines,
)

# Specific paths first: statuses' `/statuses/{id}/{action}` and accounts' `/@{username}/...`
# would otherwise catch them.
routes: list[BaseRoute] = [*signin.pages, *timelines.pages, *moderation.pages,
                           *controls.pages, *feeds.pages, *notes.pages, *integrity.pages,
                           *statuses.pages, *notifications.pages, *search.pages,
                           *accounts.pages]

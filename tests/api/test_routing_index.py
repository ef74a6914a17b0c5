"""The route index (api/routing.IndexedRouter) picks the route Starlette's full scan picks,
for every path some route declares literally and every method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Match

from townsquare.api.routing import IndexedRouter
from townsquare.app import create_app
from townsquare.config import Settings

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _pick(routes: list[BaseRoute], path: str, method: str) -> Any:
    """Starlette's rule: the first full match, else the first partial one (405)."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def test_index_picks_what_the_full_scan_picks(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/t.db",
                        secret_key="test")
    app = create_app(settings, start_jobs=False)  # routes only: no database is opened
    router = app.router
    assert isinstance(router, IndexedRouter)
    index = router._build()
    assert len(index) > 100
    for path, candidates in index.items():
        for method in METHODS:
            assert _pick(candidates, path, method) is _pick(router.routes, path, method), (
                path, method)

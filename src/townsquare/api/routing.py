"""Routes that answer with and without a trailing slash (clients differ, and a redirect
would turn a POST into a GET in some of them), and that declare their types.

Each route records its parameter Struct and response type; api/openapi.py builds the
OpenAPI document from exactly these, so the document and the handlers share one source.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router, get_route_path
from starlette.types import Receive, Scope, Send

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class ApiSpec:
    path: str
    method: str
    summary: str
    params: type | None  # the msgspec Struct the handler parses, if any
    response: Any  # a msgspec type (Struct, list[Struct], ...) or None for no body
    scope: str | None  # the OAuth scope required, None for public endpoints
    status: int = 200


SPECS: list[ApiSpec] = []


def route(path: str, endpoint: Handler, methods: list[str]) -> list[Route]:
    out = [Route(path, endpoint, methods=methods)]
    if path != "/" and not path.endswith("/"):
        out.append(Route(path + "/", endpoint, methods=methods, include_in_schema=False))
    return out


class Routes:
    """Collects a module's routes:

        r = Routes()
        @r.get("/api/v1/statuses/{id}", response=Status, scope=None)
        async def get_status(request): ...
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, path: str, methods: list[str], *, response: Any = None,
            params: type | None = None, scope: str | None = None,
            status: int = 200) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.extend(route(path, fn, methods))
            summary = (fn.__doc__ or fn.__name__.replace("_", " ")).strip().splitlines()[0]
            for method in methods:
                SPECS.append(ApiSpec(path, method, summary, params, response, scope, status))
            return fn
        return deco

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add(path, ["GET"], **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add(path, ["POST"], **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add(path, ["PUT"], **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add(path, ["PATCH"], **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add(path, ["DELETE"], **kw)


class IndexedRouter(Router):
    """Starlette's router with an index by exact path: with ~370 routes, trying each in turn
    cost a request near the end of the list ~0.25 ms, more than the whole hello-world answer.

    For a path that some route declares literally, the index holds every route that could
    match that path (literal or pattern), in declaration order; the request tries just those,
    exactly as the full scan would, so the first full match wins and a path-only match still
    answers 405. Other paths take the full scan."""

    _index: dict[str, list[BaseRoute]] | None = None

    def _build(self) -> dict[str, list[BaseRoute]]:
        literal = {r.path for r in self.routes
                   if isinstance(r, Route) and not r.param_convertors}
        index = {}
        for path in literal:
            index[path] = [r for r in self.routes
                           if getattr(r, "path_regex", None) is None
                           or r.path_regex.match(path)]  # type: ignore[attr-defined]
        return index

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if self._index is None:
            self._index = self._build()
        candidates = self._index.get(get_route_path(scope))
        if candidates is None:
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        partial = partial_scope = None
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            assert partial_scope is not None
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # redirects and 404, as Starlette does

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
from starlette.routing import Route

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

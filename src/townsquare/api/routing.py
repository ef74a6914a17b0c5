"""Routes that answer with and without a trailing slash (clients differ, and a redirect
would turn a POST into a GET in some of them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[[Request], Awaitable[Response]]


def route(path: str, endpoint: Handler, methods: list[str]) -> list[Route]:
    out = [Route(path, endpoint, methods=methods)]
    if path != "/" and not path.endswith("/"):
        out.append(Route(path + "/", endpoint, methods=methods, include_in_schema=False))
    return out


class Routes:
    """Collects a module's routes: `r = Routes(); @r.get("/api/v1/x") async def x(...)`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, path: str, methods: list[str]) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.extend(route(path, fn, methods))
            return fn
        return deco

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self.add(path, ["GET"])

    def post(self, path: str) -> Callable[[Handler], Handler]:
        return self.add(path, ["POST"])

    def put(self, path: str) -> Callable[[Handler], Handler]:
        return self.add(path, ["PUT"])

    def patch(self, path: str) -> Callable[[Handler], Handler]:
        return self.add(path, ["PATCH"])

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        return self.add(path, ["DELETE"])

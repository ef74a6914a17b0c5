"""Health check and the hello-world baseline that benchmarks compare against."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from townsquare.api.respond import ok
from townsquare.api.routing import Routes

r = Routes()


class Hello(msgspec.Struct):
    hello: str
    ok: bool


_HELLO = Hello(hello="world", ok=True)


@r.get("/api/v1/townsquare/hello", response=Hello)
async def hello(request: Request) -> Response:
    """Hello-world JSON through the full stack (routing, middleware, msgspec): the baseline."""
    return ok(_HELLO)


@r.get("/health", response=Hello)
async def health(request: Request) -> Response:
    """Liveness check for load balancers."""
    return ok(_HELLO)


routes = r.routes

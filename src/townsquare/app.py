"""Builds the ASGI app: wires the context (store, timelines, jobs) to the API and web routes."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from townsquare.api import (
    accounts,
    apps,
    feeds,
    filters,
    follow_requests,
    health,
    instance,
    integrity,
    interactions,
    labelers,
    markers,
    marks,
    media,
    moderation,
    notes,
    notifications,
    oauth,
    openapi,
    polls,
    search,
    statuses,
    streaming,
    timelines,
    trends,
)
from townsquare.api.errors import handlers
from townsquare.api.routing import IndexedRouter
from townsquare.config import Settings
from townsquare.context import Context, build_context
from townsquare.integrity.ratelimit import RateLimit
from townsquare.jobs.schedule import register_jobs
from townsquare.model.clock import Clock
from townsquare.timelines.tuning import Tuning
from townsquare.web import routes as web_routes

log = logging.getLogger("townsquare")

API_MODULES = [
    health, oauth, apps, instance, accounts, follow_requests, statuses, interactions, polls,
    media, timelines, notifications, search, markers, marks, feeds, moderation, filters,
    labelers, notes, trends, integrity, streaming, openapi,
]


class SecurityHeaders:
    """Headers every response carries; pages add their own Content-Security-Policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {k.lower() for k, _ in headers}
                for k, v in ((b"x-content-type-options", b"nosniff"),
                             (b"referrer-policy", b"same-origin"),
                             (b"x-frame-options", b"DENY")):
                    if k not in names:
                        headers.append((k, v))
                if scope["path"].startswith("/api/") and b"access-control-allow-origin" \
                        not in names:
                    headers.append((b"access-control-allow-origin", b"*"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def settle_memory() -> None:
    """At startup: what was loaded so far lives as long as the process, so it is moved out of
    the garbage collector's sight (full collections stay short: a ranked page's p99 went
    from 64 to 13 ms in bench/algorithm_rank.py), and collections run less often. Almost
    every object a request makes is freed by reference counting when the request ends; the
    collector only finds cycles, and with the default thresholds a full pass (12-20 ms with
    the caches warm) landed in about one ranked page in forty."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])


# Young collections every 10,000 net allocations instead of 700; a full one every 100 of the
# middle generation's instead of 10.
GC_THRESHOLDS = (10_000, 10, 100)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               ctx: Context | None = None, start_jobs: bool = True) -> Starlette:
    settings = settings or Settings.from_env()
    ctx = ctx or build_context(settings, clock=clock)
    register_jobs(ctx)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settle_memory()
        if start_jobs:
            # With a shared queue, `townsquare worker` processes run the periodic jobs.
            await ctx.jobs.start(periodic=not ctx.jobs.queue.distributed)
        try:
            yield
        finally:
            await ctx.jobs.stop()
            await ctx.db.dispose()

    routes: list[BaseRoute] = []
    for module in API_MODULES:
        routes.extend(module.routes)
    routes.extend(web_routes.routes)
    static_dir = __import__("pathlib").Path(__file__).parent / "web" / "static"
    routes.append(Mount("/static", app=StaticFiles(directory=static_dir), name="static"))
    routes.extend(media.file_routes(ctx))
    app = Starlette(routes=routes, exception_handlers=handlers(),  # type: ignore[arg-type]
                    middleware=[Middleware(SecurityHeaders),
                                Middleware(RateLimit, redis_url=settings.redis_url,
                                           redis_prefix=Tuning.of(settings).redis_prefix)],
                    lifespan=lifespan)
    app.router = IndexedRouter(routes=routes, lifespan=lifespan)
    app.state.ctx = ctx
    return app

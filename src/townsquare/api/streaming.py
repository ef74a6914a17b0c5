"""/api/v1/streaming: live updates as server-sent events or over a websocket, as Mastodon does.

SSE: GET /api/v1/streaming/{user,public,public/local,hashtag,hashtag/local}?tag=...
WebSocket: /api/v1/streaming?stream=user|public|public:local|hashtag&tag=..., then
{"type": "subscribe"|"unsubscribe", "stream": ..., "tag": ...} messages. Events are
`update` (a Status as a JSON string) and `delete` (an id); events reach every process through
the event bus (Redis pub/sub when configured), published after the post's commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import msgspec
from sqlalchemy import select
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from townsquare.api import auth
from townsquare.api.errors import ApiError
from townsquare.context import Context
from townsquare.queries.statuses import load_statuses
from townsquare.queries.visibility import hidden_account_ids
from townsquare.store.tables import follows

HEARTBEAT = 15.0
REFRESH = 30.0  # seconds between reloads of whom the viewer follows and hides
PUBLIC = {"public", "public:local", "public:media", "public:local:media"}
KNOWN = PUBLIC | {"user", "user:notification", "hashtag", "hashtag:local", "direct"}


class Viewer:
    """What a connection needs to route events: the viewer's follows and hidden accounts."""

    def __init__(self, ctx: Context, account_id: int | None) -> None:
        self.ctx = ctx
        self.id = account_id
        self.following: dict[int, bool] = {}
        self.hidden: set[int] = set()
        self._at = 0.0

    async def refresh(self) -> None:
        if self.id is None or time.monotonic() - self._at < REFRESH:
            return
        async with self.ctx.db.read() as conn:
            self.following = {t: bool(r) for t, r in (await conn.execute(
                select(follows.c.target_account_id, follows.c.show_reblogs)
                .where(follows.c.account_id == self.id))).all()}
            h = hidden_account_ids(self.id, self.ctx.clock.now()).subquery()
            self.hidden = {r for (r,) in (await conn.execute(select(h.c.aid))).all()}
        self._at = time.monotonic()

    def wants(self, stream: str, tag: str | None, ev: dict[str, Any]) -> bool:
        if ev["event"] == "delete":
            return True
        if ev["author"] in self.hidden:
            return False
        if stream == "user":
            if ev["author"] == self.id:
                return True
            if ev["visibility"] != "direct" and ev["author"] in self.following:
                return not ev["reblog"] or self.following[ev["author"]]
            return ev["visibility"] in ("private", "direct") and self.id in ev["mentions"]
        if stream == "direct":
            return ev["visibility"] == "direct" and (self.id in ev["mentions"]
                                                     or ev["author"] == self.id)
        if ev["visibility"] != "public" or ev["reblog"]:
            return False
        if stream.startswith("hashtag"):
            return tag is not None and tag.lower().lstrip("#") in ev["tags"]
        return stream in PUBLIC

    async def payload(self, ev: dict[str, Any]) -> str | None:
        if ev["event"] == "delete":
            return str(ev["id"])
        async with self.ctx.db.read() as conn:
            loaded = await load_statuses(self.ctx, conn, [int(ev["id"])], self.id)
        status = loaded.get(int(ev["id"]))
        return msgspec.json.encode(status).decode() if status is not None else None


async def _viewer(conn: HTTPConnection, stream: str) -> Viewer:
    if stream not in KNOWN:
        raise ApiError(400, "Unknown stream type")
    request = cast(Request, conn)
    if stream.startswith(("user", "direct")):
        account_id: int | None = await auth.require_user(request, "read:statuses")
    else:
        account_id = await auth.viewer_id(request, "read:statuses")
    viewer = Viewer(auth.ctx_of(request), account_id)
    await viewer.refresh()
    return viewer


async def _events(ctx: Context) -> AsyncIterator[dict[str, Any]]:
    assert ctx.events is not None
    async for ev in ctx.events.subscribe():
        yield ev


def _sse(stream: str, tag_required: bool = False) -> Any:
    async def endpoint(request: Request) -> Response:
        tag = request.query_params.get("tag")
        if tag_required and not tag:
            raise ApiError(400, "Missing tag")
        viewer = await _viewer(request, stream)
        queue: asyncio.Queue[str] = asyncio.Queue(1000)

        async def pump() -> None:
            async for ev in _events(viewer.ctx):
                await viewer.refresh()
                if viewer.wants(stream, tag, ev):
                    payload = await viewer.payload(ev)
                    if payload is not None:
                        queue.put_nowait(f"event: {ev['event']}\ndata: {payload}\n\n")

        async def body() -> AsyncIterator[str]:
            task = asyncio.get_running_loop().create_task(pump())
            try:
                yield ":)\n\n"
                while True:
                    try:
                        yield await asyncio.wait_for(queue.get(), HEARTBEAT)
                    except TimeoutError:
                        yield ":thump\n\n"
            finally:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

        return StreamingResponse(body(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    return endpoint


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def websocket(ws: WebSocket) -> None:
    await ws.accept()
    subs: set[tuple[str, str | None]] = set()
    first = ws.query_params.get("stream")
    try:
        viewer = await _viewer(ws, first or "public")
    except ApiError as exc:
        await ws.send_text(json.dumps({"error": exc.message}))
        await ws.close(code=4001)
        return
    if first:
        subs.add((first, ws.query_params.get("tag")))

    async def listen_client() -> None:
        while True:
            msg = json.loads(await ws.receive_text())
            stream, tag = msg.get("stream"), msg.get("tag")
            if stream not in KNOWN or (stream.startswith(("user", "direct"))
                                       and viewer.id is None):
                await ws.send_text(json.dumps({"error": "Unknown or forbidden stream"}))
                continue
            if msg.get("type") == "subscribe":
                subs.add((stream, tag))
            elif msg.get("type") == "unsubscribe":
                subs.discard((stream, tag))

    async def forward() -> None:
        async for ev in _events(viewer.ctx):
            await viewer.refresh()
            for stream, tag in list(subs):
                if viewer.wants(stream, tag, ev):
                    payload = await viewer.payload(ev)
                    if payload is not None:
                        name = [stream, tag] if tag else [stream]
                        await ws.send_text(json.dumps({"stream": name, "event": ev["event"],
                                                       "payload": payload}))

    tasks = [asyncio.create_task(listen_client()), asyncio.create_task(forward())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except WebSocketDisconnect:
        pass
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# Event streams, not JSON endpoints: left out of the OpenAPI document (docs/scale.md
# describes them, as Mastodon's streaming docs do).
_SSE = [("/api/v1/streaming/user", "user", False), ("/api/v1/streaming/public", "public", False),
        ("/api/v1/streaming/public/local", "public:local", False),
        ("/api/v1/streaming/hashtag", "hashtag", True),
        ("/api/v1/streaming/hashtag/local", "hashtag:local", True),
        ("/api/v1/streaming/direct", "direct", False)]
routes: list[BaseRoute] = [
    Route("/api/v1/streaming/health", health, include_in_schema=False),
    *[Route(path, _sse(stream, tag), include_in_schema=False) for path, stream, tag in _SSE],
    WebSocketRoute("/api/v1/streaming", websocket),
]

"""Live events for the streaming API, published after commit and shared across processes.

Every process subscribes once to one bus (Redis pub/sub channel `<prefix>events`, or an
in-process fan-out without Redis) and routes each event to its own connections. An event
carries routing facts only (status id, author, visibility, mentions, tags); each connection
loads the status for its own viewer, so visibility and blocks are checked per reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from townsquare.store.db import Database
from townsquare.store.tables import status_mentions, status_tags, statuses, tags

log = logging.getLogger("townsquare.events")
QUEUE = 1000  # events kept per slow connection before the oldest are dropped


class EventBus:
    def __init__(self, redis_url: str = "", prefix: str = "ts:") -> None:
        self._redis_url = redis_url
        self.channel = prefix + "events"
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._redis: Any = None
        self._checked = float("-inf")
        self._listening = False

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self._redis_url, decode_responses=True)
        return self._redis

    async def has_listeners(self) -> bool:
        """Whether any process streams anything (checked at most once a second), so posting
        costs nothing extra when nobody is connected."""
        if not self._redis_url:
            return bool(self._subscribers)
        now = time.monotonic()
        if now - self._checked > 1.0:
            self._checked = now
            counts = await self._client().pubsub_numsub(self.channel)
            self._listening = bool(counts and counts[0][1])
        return self._listening

    async def publish(self, event: dict[str, Any]) -> None:
        if not self._redis_url:
            self._dispatch(event)
            return
        await self._client().publish(self.channel, json.dumps(event))

    def _dispatch(self, event: dict[str, Any]) -> None:
        for q in list(self._subscribers):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(event)

    async def _read(self) -> None:
        import redis.asyncio as aioredis

        while True:
            try:
                r = aioredis.Redis.from_url(self._redis_url, decode_responses=True)
                async with r.pubsub() as ps:
                    await ps.subscribe(self.channel)
                    async for message in ps.listen():
                        if message["type"] == "message":
                            self._dispatch(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted: subscribe again
                log.warning("event bus reconnecting: %s", exc)
                await asyncio.sleep(0.5)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE)
        self._subscribers.add(q)
        if self._redis_url and self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())
        try:
            while True:
                yield await q.get()
        finally:
            self._subscribers.discard(q)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._redis is not None:
            await self._redis.aclose()


async def status_facts(db: Database, status_id: int) -> dict[str, Any] | None:
    async with db.read() as conn:
        row = (await conn.execute(select(statuses.c.account_id, statuses.c.visibility,
                                         statuses.c.reblog_of_id, statuses.c.in_reply_to_id)
                                  .where(statuses.c.id == status_id))).first()
        if row is None:
            return None
        mentioned = [r for (r,) in (await conn.execute(select(status_mentions.c.account_id)
                     .where(status_mentions.c.status_id == status_id))).all()]
        names = [r for (r,) in (await conn.execute(
            select(tags.c.name).join(status_tags, status_tags.c.tag_id == tags.c.id)
            .where(status_tags.c.status_id == status_id))).all()]
    return {"event": "update", "id": status_id, "author": row.account_id,
            "visibility": row.visibility, "reblog": row.reblog_of_id is not None,
            "reply": row.in_reply_to_id is not None, "mentions": mentioned, "tags": names}


async def publish_update(ctx: Any, status_id: int) -> None:
    """After commit: tell every process's streams about a new post."""
    bus: EventBus | None = getattr(ctx, "events", None)
    try:
        if bus is None or not await bus.has_listeners():
            return
        facts = await status_facts(ctx.db, status_id)
        if facts is not None:
            await bus.publish(facts)
    except Exception:
        log.exception("could not publish status %s", status_id)


async def publish_delete(ctx: Any, status_id: int) -> None:
    bus: EventBus | None = getattr(ctx, "events", None)
    if bus is not None:
        try:
            await bus.publish({"event": "delete", "id": status_id})
        except Exception:
            log.exception("could not publish delete of %s", status_id)

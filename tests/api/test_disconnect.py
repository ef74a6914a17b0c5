"""A client that goes away while sending its request: nothing is written, nothing is logged
as a server error (load generators stopping mid-request did both)."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import Client
from townsquare.app import create_app
from townsquare.store.tables import statuses


async def test_a_post_whose_client_disconnects_mid_body_is_dropped_quietly(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    alice = await client.user("alice")
    app = create_app(client.ctx.settings, ctx=client.ctx, start_jobs=False)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/v1/statuses", "raw_path": b"/api/v1/statuses",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"content-length", b"100"),
                    (b"authorization", f"Bearer {alice.token}".encode())],
    }
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"status": "half a po', "more_body": True},
        {"type": "http.disconnect"}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.DEBUG, logger="townsquare.api"):
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with client.ctx.db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(statuses))).scalar() == 0

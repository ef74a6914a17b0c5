"""JSON responses encoded by msgspec (fast, and the same types the OpenAPI document uses)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

_encoder = msgspec.json.Encoder()


class JSON(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return _encoder.encode(content)


def ok(content: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> JSON:
    return JSON(content, status_code=status, headers=headers)


def raw_json(body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
             ) -> Response:
    """A body already encoded as JSON (pages assembled from cached bytes)."""
    return Response(body, status_code=status, headers=headers, media_type=JSON.media_type)

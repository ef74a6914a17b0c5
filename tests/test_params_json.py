"""A JSON body decoded straight into the parameter struct (api/params.py's fast path) gives
what the lenient path gives, for any body: exact types take the fast path, the rest (strings
for numbers, scalars for lists, nulls, "") fall back to the lenient one."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from townsquare.api import params
from townsquare.api.errors import ApiError
from townsquare.api.statuses import EditParams, StatusParams

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4),
                    st.sampled_from(["", "true", "0", "12", "public"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["options", "expires_in", "multiple", "0", "id"]), inner,
                    max_size=3)), max_leaves=6)
FIELDS = ["status", "media_ids", "poll", "in_reply_to_id", "quote_id", "sensitive",
          "spoiler_text", "visibility", "language", "media_attributes", "other"]
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)


def request(body: bytes) -> Request:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"",
                    "headers": [(b"content-type", b"application/json")]}, receive)


async def outcome(coro: Any) -> Any:
    try:
        return ("ok", msgspec.to_builtins(await coro))
    except ApiError as exc:
        return ("error", exc.status)


@settings(max_examples=300, deadline=None)
@given(bodies)
async def test_a_json_body_gives_the_same_parameters_either_way(body: dict[str, Any]) -> None:
    raw = msgspec.json.encode(body)
    for cls in (StatusParams, EditParams):
        fast = await outcome(params.parse(request(raw), cls))
        lenient = await outcome(_lenient(raw, cls))
        assert fast == lenient, (cls.__name__, body)


async def _lenient(raw: bytes, cls: Any) -> Any:
    return params.convert(await params.read(request(raw)), cls)


async def test_typical_post_bodies() -> None:
    for body in ({"status": "hi"}, {"status": "hi", "media_ids": ["1", "2"], "sensitive": True},
                 {"status": "q", "poll": {"options": ["a", "b"], "expires_in": 300}},
                 {"status": "r", "in_reply_to_id": "5", "visibility": "private"}):
        raw = msgspec.json.encode(body)
        got = await params.parse(request(raw), StatusParams)
        assert msgspec.to_builtins(got) == msgspec.to_builtins(await _lenient(raw, StatusParams))

"""The request shapes real Mastodon clients send all reach the handler the same way."""

from __future__ import annotations

import msgspec
import pytest

from townsquare.api.errors import ApiError
from townsquare.api.params import _set_path, convert, parse_id


class Poll(msgspec.Struct):
    options: list[str] = []
    expires_in: int = 0
    multiple: bool = False


class P(msgspec.Struct):
    status: str = ""
    media_ids: list[str] = []
    poll: Poll | None = None
    sensitive: bool = False
    limit: int | None = None


def form(*pairs: tuple[str, str]) -> dict[str, object]:
    data: dict[str, object] = {}
    for k, v in pairs:
        _set_path(data, k, v)
    return data


def test_bracket_arrays_and_nested_objects() -> None:
    p = convert(form(("status", "hi"), ("media_ids[]", "1"), ("media_ids[]", "2"),
                     ("poll[options][]", "a"), ("poll[options][]", "b"),
                     ("poll[expires_in]", "300"), ("poll[multiple]", "True")), P)
    assert p == P(status="hi", media_ids=["1", "2"],
                  poll=Poll(options=["a", "b"], expires_in=300, multiple=True))


def test_repeated_keys_and_single_values_become_lists() -> None:
    assert convert(form(("media_ids", "1"), ("media_ids", "2")), P).media_ids == ["1", "2"]
    assert convert({"media_ids": "7"}, P).media_ids == ["7"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("True", True), ("1", True), ("false", False), ("False", False), ("0", False),
    (True, True), (False, False),
])
def test_booleans_in_every_spelling(raw: object, expected: bool) -> None:
    assert convert({"sensitive": raw}, P).sensitive is expected


def test_empty_string_means_not_given_for_numbers() -> None:
    assert convert({"limit": ""}, P).limit is None


def test_wrong_types_are_a_clear_422() -> None:
    with pytest.raises(ApiError) as err:
        convert({"limit": "many"}, P)
    assert err.value.status == 422 and "limit" in err.value.message
    with pytest.raises(ApiError):
        convert({"sensitive": "perhaps"}, P)


def test_ids() -> None:
    assert parse_id("123") == 123
    for bad in ("abc", "-1", "1" * 25, str(2**63), None, ""):
        with pytest.raises(ApiError) as err:
            parse_id(bad)
        assert err.value.status == 404


def test_malformed_bracket_names_are_refused() -> None:
    with pytest.raises(ApiError):
        form(("a[]", "1"), ("a[x]", "2"))

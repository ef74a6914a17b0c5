"""Request parameters the way real Mastodon clients send them.

Clients send the same call as a query string, an urlencoded form, multipart, or JSON; arrays
as `x[]=`, repeated `x=`, or JSON lists; nested objects as `poll[options][]=`; booleans as
true/false/1/0 in any case. All of it is merged into one dict and converted, leniently, into
a msgspec Struct, so handlers see typed values and bad input becomes a clear 422.
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeVar

import msgspec
from starlette.datastructures import UploadFile
from starlette.requests import Request

from townsquare.api.errors import ApiError

T = TypeVar("T")

_KEY_RE = re.compile(r"\[([^\]]*)\]")
MAX_JSON_BODY = 1024 * 1024


def _set_path(target: dict[str, Any], key: str, value: Any) -> None:
    """`poll[options][]` -> target["poll"]["options"].append(value)."""
    base_end = key.find("[")
    if base_end <= 0:
        if key in target:  # a repeated plain key becomes a list
            existing = target[key]
            target[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            target[key] = value
        return
    path = [key[:base_end], *_KEY_RE.findall(key[base_end:])]
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        nxt_is_list = not last and path[i + 1] == ""
        if part == "":
            if not isinstance(node, list):
                raise ApiError(422, f"Validation failed: malformed parameter name {key!r}")
            if last:
                node.append(value)
                return
            # `list[][name]=` (Rails): start a new object when the last one has `name` already.
            name = path[i + 1]
            if not node or not isinstance(node[-1], dict) or name in node[-1]:
                node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise ApiError(422, f"Validation failed: malformed parameter name {key!r}")
        if last:
            node[part] = value
            return
        if part not in node or not isinstance(node[part], list | dict):
            node[part] = [] if nxt_is_list else {}
        node = node[part]


async def read(request: Request) -> dict[str, Any]:
    """All parameters of a request (query + body), merged; body wins."""
    data: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        _set_path(data, key, value)
    if request.method in ("GET", "HEAD"):
        return data
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form(max_files=10, max_fields=1000)
        except Exception as exc:
            raise ApiError(400, f"Malformed form body: {exc}") from None
        for key, item in form.multi_items():
            _set_path(data, key, item)
        return data
    body = await request.body()
    if not body.strip():
        return data
    if content_type and not content_type.endswith("json"):
        raise ApiError(415, f"Unsupported content type {content_type!r}")
    if len(body) > MAX_JSON_BODY:
        raise ApiError(413, "Request body too large")
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None
    if not isinstance(decoded, dict):
        raise ApiError(400, "Malformed JSON body: expected an object")
    data.update(decoded)
    return data


def _is_list_type(t: msgspec.inspect.Type) -> bool:
    if isinstance(t, msgspec.inspect.UnionType):
        return any(_is_list_type(x) for x in t.types)
    return isinstance(t, msgspec.inspect.ListType | msgspec.inspect.SetType |
                      msgspec.inspect.FrozenSetType | msgspec.inspect.VarTupleType)


def _struct_of(t: msgspec.inspect.Type) -> msgspec.inspect.StructType | None:
    if isinstance(t, msgspec.inspect.StructType):
        return t
    if isinstance(t, msgspec.inspect.UnionType):
        for x in t.types:
            if isinstance(x, msgspec.inspect.StructType):
                return x
    return None


def _list_item_struct(t: msgspec.inspect.Type) -> msgspec.inspect.StructType | None:
    if isinstance(t, msgspec.inspect.UnionType):
        for x in t.types:
            found = _list_item_struct(x)
            if found is not None:
                return found
        return None
    if isinstance(t, msgspec.inspect.ListType):
        return _struct_of(t.item_type)
    return None


def _is_str_type(t: msgspec.inspect.Type) -> bool:
    if isinstance(t, msgspec.inspect.UnionType):
        return any(_is_str_type(x) for x in t.types)
    return isinstance(t, msgspec.inspect.StrType)


def _normalise(data: dict[str, Any], info: msgspec.inspect.StructType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fields = {f.encode_name: f for f in info.fields}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            continue  # unknown parameters are ignored, as Mastodon does
        t = field.type
        if isinstance(value, UploadFile):
            out[key] = value
            continue
        if _is_list_type(t):
            if isinstance(value, dict) and value and all(k.isdigit() for k in value):
                value = [value[k] for k in sorted(value, key=int)]  # `x[0][a]=` style
            if value == "" or value is None:
                value = []
            elif not isinstance(value, list):
                value = [value]
        elif isinstance(value, list):
            value = value[-1] if value else None
        if value == "" and not _is_str_type(t):
            continue  # "" for a number or boolean means "not given"
        nested = _struct_of(t)
        if nested is not None and isinstance(value, dict):
            value = _normalise(value, nested)
        item = _list_item_struct(t)
        if item is not None and isinstance(value, list):
            value = [_normalise(v, item) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


@functools.cache
def _struct_info(cls: type) -> msgspec.inspect.StructType:
    """msgspec.inspect.type_info walks the whole class (~1 ms for a status); classes are
    fixed at import, so once per class is enough."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    return info


def convert(data: dict[str, Any], cls: type[T]) -> T:
    info = _struct_info(cls)  # type: ignore[arg-type]  # classes are hashable
    try:
        return msgspec.convert(_normalise(data, info), cls, strict=False,
                               builtin_types=(UploadFile,))
    except msgspec.ValidationError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from None


def _has_any(t: msgspec.inspect.Type) -> bool:
    """A type the lenient path treats differently from a plain decode (it takes the last of a
    list given for an `Any`)."""
    if isinstance(t, msgspec.inspect.AnyType):
        return True
    if isinstance(t, msgspec.inspect.UnionType):
        return any(_has_any(x) for x in t.types)
    if isinstance(t, msgspec.inspect.ListType):
        return _has_any(t.item_type)
    if isinstance(t, msgspec.inspect.StructType):
        return any(_has_any(f.type) for f in t.fields)
    return False


@functools.cache
def _exact_json_ok(cls: type) -> bool:
    return not _has_any(_struct_info(cls))


async def parse(request: Request, cls: type[T]) -> T:
    if request.method not in ("GET", "HEAD") and not request.scope.get("query_string") \
            and request.headers.get("content-type", "").startswith("application/json") \
            and _exact_json_ok(cls):  # type: ignore[arg-type]  # classes are hashable
        # A JSON body whose values have exactly the declared types (what most clients send)
        # is decoded straight into the struct; anything else (strings for numbers or
        # booleans, a scalar for a list, nulls, "" for "not given") takes the lenient path
        # below, which would have given the same struct for exact types.
        body = await request.body()
        if len(body) <= MAX_JSON_BODY:
            try:
                return msgspec.json.decode(body, type=cls)
            except (msgspec.ValidationError, msgspec.DecodeError):
                pass
    return convert(await read(request), cls)


def parse_id(value: str | int | None, what: str = "Record") -> int:
    """Ids arrive as strings; anything that is not a snowflake cannot exist."""
    if isinstance(value, int):
        return value
    if value is None or not value.isdigit() or len(value) > 20:
        raise ApiError(404, f"{what} not found")
    number = int(value)
    if number >= 2**63:
        raise ApiError(404, f"{what} not found")
    return number


def parse_ids(values: list[str], what: str = "Record") -> list[int]:
    return [parse_id(v, what) for v in values]

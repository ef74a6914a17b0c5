"""Column chunks and their encodings: PostgreSQL's binary COPY format, built with numpy (no
Python work per row for numeric and time columns), and plain tuples for SQLite.

A chunk is a dict of column name -> value, where a value is one of
- a numpy array (integers, booleans, or datetime64 for timestamps, UTC),
- a list of str (text),
- `Nullable(values, null)`: an array with a mask of NULLs,
- a Python scalar (str, int, bool, float, datetime, None) that every row shares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

Chunk = dict[str, Any]

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
_FIXED = {"int8": ">i8", "int4": ">i4", "int2": ">i2", "float8": ">f8", "float4": ">f4"}
_TEXT = {"text", "varchar", "bpchar", "name", "citext"}


@dataclass
class Nullable:
    values: np.ndarray
    null: np.ndarray  # True where the value is NULL


def rows_in(chunk: Chunk) -> int:
    for v in chunk.values():
        if isinstance(v, Nullable):
            return len(v.values)
        if isinstance(v, np.ndarray | list):
            return len(v)
    raise ValueError("a chunk needs at least one per-row column")


def _us(value: datetime | np.ndarray) -> Any:
    """Microseconds since 1970-01-01 UTC."""
    if isinstance(value, np.ndarray):
        return value.astype("datetime64[us]").astype(np.int64)
    return round(value.astimezone(UTC).timestamp() * 1_000_000)


def _scalar_bytes(typ: str, value: Any) -> bytes | None:
    if value is None:
        return None
    if typ in _FIXED:
        return np.array([value], dtype=_FIXED[typ]).tobytes()
    if typ == "bool":
        return b"\x01" if value else b"\x00"
    if typ in ("timestamptz", "timestamp"):
        return np.array([_us(value) - PG_EPOCH_US], dtype=">i8").tobytes()
    if typ in _TEXT:
        return str(value).encode()
    if typ == "jsonb":
        return b"\x01" + json.dumps(value).encode()
    if typ == "json":
        return json.dumps(value).encode()
    raise ValueError(f"no binary COPY encoding for {typ}")


def _field(typ: str, value: Any, n: int) -> tuple[np.ndarray, np.ndarray | bytes]:
    """(per-row byte length, -1 for NULL; payload): a 2-D uint8 array (n, width) when every
    row has the same width, else the concatenated bytes of the non-NULL rows."""
    if not isinstance(value, np.ndarray | list | Nullable):
        b = _scalar_bytes(typ, value)
        if b is None:
            return np.full(n, -1, np.int64), np.empty((n, 0), np.uint8)
        return (np.full(n, len(b), np.int64),
                np.broadcast_to(np.frombuffer(b, np.uint8), (n, len(b))))
    null = None
    if isinstance(value, Nullable):
        null, value = value.null, value.values
    if typ in _TEXT:
        enc = [s.encode() for s in value]
        lens = np.fromiter(map(len, enc), np.int64, len(enc))
        if null is not None:
            lens[null] = -1
            enc = [e for e, z in zip(enc, null.tolist(), strict=True) if not z]
        return lens, b"".join(enc)
    if typ in _FIXED:
        data = np.asarray(value).astype(_FIXED[typ])
    elif typ == "bool":
        data = np.asarray(value).astype(np.uint8)
    elif typ in ("timestamptz", "timestamp"):
        data = (_us(np.asarray(value)) - PG_EPOCH_US).astype(">i8")
    else:
        raise ValueError(f"no binary COPY encoding for per-row {typ}")
    width = data.dtype.itemsize
    raw = np.ascontiguousarray(data).view(np.uint8).reshape(n, width)
    if null is None:
        return np.full(n, width, np.int64), raw
    lens = np.where(null, -1, width).astype(np.int64)
    return lens, raw[~null].tobytes()


def encode_binary(chunk: Chunk, columns: list[str], types: dict[str, str]) -> bytes:
    """The rows of one chunk in PostgreSQL's binary COPY format (no header or trailer)."""
    n = rows_in(chunk)
    fields = [_field(types[c], chunk[c], n) for c in columns]
    if all(isinstance(p, np.ndarray) and p.ndim == 2 for _, p in fields):
        # Every row has the same layout: fill a (rows, row width) array column block by block.
        widths = [p.shape[1] for _, p in fields if isinstance(p, np.ndarray)]
        width = 2 + sum(4 + w for w in widths)
        buf = np.empty((n, width), np.uint8)
        buf[:, 0:2] = np.frombuffer(np.array([len(columns)], ">i2").tobytes(), np.uint8)
        col = 2
        for (lens, payload), w in zip(fields, widths, strict=True):
            buf[:, col:col + 4] = np.frombuffer(np.array([lens[0]], ">i4").tobytes(), np.uint8)
            buf[:, col + 4:col + 4 + w] = payload
            col += 4 + w
        return buf.tobytes()
    # Rows of different widths: place each field at its offset in every row.
    sizes = np.full(n, 2 + 4 * len(columns), np.int64)
    for lens, _ in fields:
        sizes += np.maximum(lens, 0)
    starts = np.zeros(n, np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    buf = np.empty(int(sizes.sum()), np.uint8)
    count = np.frombuffer(np.array([len(columns)], ">i2").tobytes(), np.uint8)
    buf[starts[:, None] + np.arange(2)] = count
    at: np.ndarray = starts + 2
    four = np.arange(4)
    for lens, payload in fields:
        buf[at[:, None] + four] = lens.astype(">i4").view(np.uint8).reshape(n, 4)
        at += 4
        if isinstance(payload, np.ndarray) and payload.ndim == 2:
            w = payload.shape[1]
            if w:
                buf[at[:, None] + np.arange(w)] = payload
            at += w
            continue
        present = np.maximum(lens, 0)
        data = np.frombuffer(payload, np.uint8)
        if len(data):
            first = np.repeat(at - (np.cumsum(present) - present), present)
            buf[first + np.arange(len(data))] = data
        at += present
    return buf.tobytes()


def _sqlite_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ",
                                                                    timespec="microseconds")
    return value


def sqlite_rows(chunk: Chunk, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of one chunk as tuples, in the values SQLAlchemy stores on SQLite."""
    n = rows_in(chunk)
    cols: list[Any] = []
    for c in columns:
        v = chunk[c]
        null = None
        if isinstance(v, Nullable):
            null, v = v.null, v.values
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "M":
                v = [s.replace("T", " ") for s in np.datetime_as_string(
                    v.astype("datetime64[us]"), unit="us").tolist()]
            elif v.dtype.kind == "b":
                v = v.astype(np.int64).tolist()
            else:
                v = v.tolist()
        elif not isinstance(v, list):
            v = [int(v) if isinstance(v, bool) else _sqlite_time(v)] * n
        if null is not None:
            v = [None if z else x for x, z in zip(v, null.tolist(), strict=True)]
        cols.append(v)
    return list(zip(*cols, strict=True))

"""Fast reading of public ratings TSV files (tens of millions of rows).

The csv module costs several microseconds a row.  Ratings files hold no free text, so instead we
read blocks of bytes, find every tab and newline with NumPy, and decode the columns we need
straight from the byte array: integers digit by digit, flags by their first byte, participant
ids by two independent 64-bit hashes (a collision in one shows in the other), so that only
distinct ids become Python strings.
Files containing a quote character fall back to the csv module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c
from townsquare.notes.frames import RatingsFrame
from townsquare.notes.participants import ParticipantIds

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
BLOCK_BYTES = 64 << 20
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_HASH_A = np.uint64(0x9E3779B97F4A7C15)
_HASH_B = np.uint64(0xC2B2AE3D27D4EB4F)
_SEED_B = np.uint64(0x165667B19E3779F9)


class TsvError(ValueError):
    pass


@dataclass
class _Columns:
    note_id: list[I64] = field(default_factory=list)
    created: list[I64] = field(default_factory=list)
    helpful_num: list[NDArray[np.float64]] = field(default_factory=list)
    helpful_tags: list[NDArray[np.bool_]] = field(default_factory=list)
    not_helpful_tags: list[NDArray[np.bool_]] = field(default_factory=list)
    # Participant ids per block: distinct hashes (two independent 64-bit lanes), their text,
    # and for each row the index of its id among the block's distinct ones.
    hash_a: list[NDArray[np.uint64]] = field(default_factory=list)
    hash_b: list[NDArray[np.uint64]] = field(default_factory=list)
    names: list[list[str]] = field(default_factory=list)
    local: list[I64] = field(default_factory=list)


def _parse_ints(buf: U8, start: I64, end: I64, name: str) -> I64:
    """Non-negative decimal integers, read digit by digit from the right."""
    length = end - start
    if len(length) and (length.min() <= 0 or length.max() > 19):
        raise TsvError(f"column {name}: empty or over-long integer")
    value = np.zeros(len(start), dtype=np.int64)
    for k in range(int(length.max(initial=0))):
        has = k < length
        digit = buf[np.where(has, end - 1 - k, 0)].astype(np.int64) - 48
        if ((digit < 0) | (digit > 9))[has].any():
            raise TsvError(f"column {name}: not an integer")
        value += np.where(has, digit, 0) * _POW10[k]
    return value


def _parse_flags(buf: U8, start: I64, end: I64) -> NDArray[np.bool_]:
    """0/1 columns: true when the field is exactly "1"."""
    return ((end - start) == 1) & (buf[np.minimum(start, len(buf) - 1)] == ord("1"))


def _hash_ids(buf: U8, start: I64, end: I64) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Two independent 64-bit hashes of each field's bytes (zero-padded to whole words)."""
    length = end - start
    width = max(8, -(-int(length.max(initial=0)) // 8) * 8)
    pos = np.arange(width)
    rows = buf[np.minimum(start[:, None] + pos, len(buf) - 1)]
    rows[pos[None, :] >= length[:, None]] = 0
    words = rows.view(np.uint64)
    a = np.zeros(len(rows), dtype=np.uint64)
    b = np.full(len(rows), _SEED_B, dtype=np.uint64)
    for k in range(words.shape[1]):
        a = (a ^ words[:, k]) * _HASH_A
        a ^= a >> np.uint64(29)
        b = (b ^ words[:, k]) * _HASH_B
        b ^= b >> np.uint64(31)
    return a, b


def _block(data: bytes, ncols: int, col: dict[str, int], out: _Columns) -> None:
    buf = np.frombuffer(data, np.uint8)
    seps = np.flatnonzero((buf == 9) | (buf == 10))
    if len(seps) % ncols or (buf[seps[ncols - 1 :: ncols]] != 10).any():
        raise TsvError(f"ratings: every row must have {ncols} tab-separated fields")
    # ends[j] = where field j of each row ends; one contiguous array per column.
    ends = np.ascontiguousarray(seps.reshape(-1, ncols).T)
    row_start = np.r_[0, ends[-1, :-1] + 1]

    def span(name: str) -> tuple[I64, I64]:
        j = col[name]
        return (row_start if j == 0 else ends[j - 1] + 1), ends[j]

    out.note_id.append(_parse_ints(buf, *span("noteId"), "noteId"))
    out.created.append(_parse_ints(buf, *span("createdAtMillis"), "createdAtMillis"))
    start, end = span("raterParticipantId")
    a, b = _hash_ids(buf, start, end)
    distinct, first, local = np.unique(a, return_index=True, return_inverse=True)
    if (b != b[first][local]).any():
        raise TsvError("participant id hash collision")  # ~2^-64 per pair of ids
    out.hash_a.append(distinct)
    out.hash_b.append(b[first])
    out.names.append(
        [
            data[s:e].decode()
            for s, e in zip(start[first].tolist(), end[first].tolist(), strict=True)
        ]
    )
    out.local.append(local.astype(np.int64))

    n = ends.shape[1]
    helpful_num = np.full(n, np.nan)
    # Older files: helpful / notHelpful 0-1 columns; newer: helpfulnessLevel (wins, as published).
    if "helpful" in col:
        helpful_num[_parse_flags(buf, *span("helpful"))] = 1.0
    if "notHelpful" in col:
        helpful_num[_parse_flags(buf, *span("notHelpful"))] = 0.0
    if "helpfulnessLevel" in col:
        s, e = span("helpfulnessLevel")
        first_byte = buf[np.minimum(s, len(buf) - 1)]
        filled = e > s
        helpful_num[filled & (first_byte == ord("N"))] = 0.0
        helpful_num[filled & (first_byte == ord("S"))] = 0.5
        helpful_num[filled & (first_byte == ord("H"))] = 1.0
    out.helpful_num.append(helpful_num)
    for tags, target in (
        (c.HELPFUL_TAGS, out.helpful_tags),
        (c.NOT_HELPFUL_TAGS, out.not_helpful_tags),
    ):
        matrix = np.zeros((n, len(tags)), dtype=np.bool_)
        for k, tag in enumerate(tags):
            if tag in col:
                matrix[:, k] = _parse_flags(buf, *span(tag))
        target.append(matrix)


def _assemble(out: _Columns, ids: ParticipantIds) -> RatingsFrame:
    if not out.note_id:
        return RatingsFrame.without_tags(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        )
    all_a = np.concatenate(out.hash_a)
    all_b = np.concatenate(out.hash_b)
    _, first, global_of = np.unique(all_a, return_index=True, return_inverse=True)
    if (all_b != all_b[first][global_of]).any():
        raise TsvError("participant id hash collision")
    all_names = [name for names in out.names for name in names]
    codes = ids.codes(all_names[i] for i in first.tolist())
    rater_parts = []
    offset = 0
    for block_distinct, local in zip(out.hash_a, out.local, strict=True):
        rater_parts.append(codes[global_of[offset : offset + len(block_distinct)]][local])
        offset += len(block_distinct)
    return RatingsFrame(
        note_id=np.concatenate(out.note_id),
        rater_id=np.concatenate(rater_parts),
        created_at_millis=np.concatenate(out.created),
        helpful_num=np.concatenate(out.helpful_num),
        helpful_tags=np.concatenate(out.helpful_tags),
        not_helpful_tags=np.concatenate(out.not_helpful_tags),
    )


def read_ratings_fast(path: str, ids: ParticipantIds) -> RatingsFrame | None:
    """Read a ratings file; None when it needs the csv module (it contains quotes)."""
    out = _Columns()
    with open(path, "rb") as f:
        header = f.readline().rstrip(b"\r\n").decode().split("\t")
        col = {name: j for j, name in enumerate(header)}
        for required in ("noteId", "raterParticipantId", "createdAtMillis"):
            if required not in col:
                raise TsvError(f"{path}: ratings file has no {required} column")
        if not {"helpfulnessLevel", "helpful", "notHelpful"} & col.keys():
            raise TsvError(f"{path}: ratings file has no helpfulnessLevel or helpful column")
        rest = b""
        while True:
            block = f.read(BLOCK_BYTES)
            data = rest + block
            if not block:  # last block: tolerate a missing final newline or blank lines
                data = data.rstrip(b"\r\n") + b"\n" if data.strip() else b""
                rest = b""
            else:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
            if data:
                if b'"' in data:
                    return None
                data = data.replace(b"\r\n", b"\n")
                _block(data, len(header), col, out)
            if not block:
                break
    return _assemble(out, ids)


def read_ratings_csv(path: str, ids: ParticipantIds) -> RatingsFrame:
    """The slow, general path (quoted fields)."""
    note, rater, created, level = [], [], [], []
    h_tags: list[list[bool]] = []
    nh_tags: list[list[bool]] = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            note.append(int(row["noteId"]))
            rater.append(ids.code(row["raterParticipantId"]))
            created.append(int(row["createdAtMillis"]))
            value = np.nan
            if row.get("helpful") == "1":
                value = 1.0
            if row.get("notHelpful") == "1":
                value = 0.0
            value = {c.NOT_HELPFUL: 0.0, c.SOMEWHAT_HELPFUL: 0.5, c.HELPFUL: 1.0}.get(
                row.get("helpfulnessLevel") or "", value
            )
            level.append(value)
            h_tags.append([row.get(t) == "1" for t in c.HELPFUL_TAGS])
            nh_tags.append([row.get(t) == "1" for t in c.NOT_HELPFUL_TAGS])
    n = len(note)
    return RatingsFrame(
        note_id=np.array(note, dtype=np.int64),
        rater_id=np.array(rater, dtype=np.int64),
        created_at_millis=np.array(created, dtype=np.int64),
        helpful_num=np.array(level, dtype=np.float64),
        helpful_tags=np.array(h_tags, dtype=np.bool_).reshape(n, len(c.HELPFUL_TAGS)),
        not_helpful_tags=np.array(nh_tags, dtype=np.bool_).reshape(n, len(c.NOT_HELPFUL_TAGS)),
    )

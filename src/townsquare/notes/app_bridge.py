"""townsquare's notes tables <-> the scorer's column frames, without a Python loop per rating.

Reasons and tags are stored as bitmasks in the published column order, ratings' helpfulness is
turned into 1 / 0.5 / 0 by the query itself (`HELPFUL_NUM`), and times come from snowflakes
(`>> 16` = epoch ms), so a table of rows becomes the scorer's arrays with a few NumPy calls.
The way back (scores -> `note_status` rows) loops over notes, never over ratings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, case, cast

from townsquare.notes import constants as c
from townsquare.notes.frames import NotesFrame, RaterScores, RatingsFrame, StatusHistoryFrame
from townsquare.notes.scorer import ScoreResult
from townsquare.store.tables_notes import note_ratings

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]

LEVELS = (c.HELPFUL, c.SOMEWHAT_HELPFUL, c.NOT_HELPFUL)
CLASSIFICATIONS = (c.MISLEADING, c.NOT_MISLEADING)

# SQL expression: the published numeric value of a stored rating (process_data.py).
HELPFUL_NUM = cast(case(
    (note_ratings.c.helpfulness == c.HELPFUL, 1.0),
    (note_ratings.c.helpfulness == c.SOMEWHAT_HELPFUL, 0.5),
    else_=0.0,
), Float)


# --- bitmasks of published checkbox / tag names --------------------------------------------


def reasons_for(classification: str) -> tuple[str, ...]:
    return c.MISLEADING_TAGS if classification == c.MISLEADING else c.NOT_MISLEADING_TAGS


def mask_of(names: Sequence[str], vocabulary: Sequence[str]) -> int:
    return sum(1 << vocabulary.index(n) for n in set(names))


def names_of(mask: int, vocabulary: Sequence[str]) -> list[str]:
    return [name for k, name in enumerate(vocabulary) if mask >> k & 1]


def bit_matrix(masks: I64, width: int) -> Bool:
    """(n,) bitmasks -> (n, width) booleans, column k = bit k."""
    return ((masks[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.bool_)


def millis_of(snowflakes: I64) -> I64:
    return snowflakes >> 16


# --- statuses: names in the database, int8 codes in the scorer --------------------------------

_NAMES = np.array([*c.STATUS_NAMES, None], dtype=object)  # code -1 (none) -> None


def status_codes(names: Sequence[str | None]) -> I8:
    arr = np.asarray(names, dtype=object)
    out = np.full(len(arr), c.STATUS_NONE, dtype=np.int8)
    for code, name in enumerate(c.STATUS_NAMES):
        out[arr == name] = code
    return out


def status_names(codes: I8) -> list[str | None]:
    return list(_NAMES[codes.astype(np.intp)])


def _ms(values: Sequence[int | None]) -> F64:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _int_or_none(values: F64) -> list[int | None]:
    return [None if np.isnan(v) else int(v) for v in values.tolist()]


def _float_or_none(values: F64) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values.tolist()]


# --- frames from rows ----------------------------------------------------------------------------


def notes_frame(rows: Sequence[Any], extra: dict[str, NDArray[np.object_]] | None = None
                ) -> NotesFrame:
    """rows of (id, account_id, classification)."""
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return NotesFrame(z, z, z, np.zeros(0, dtype=np.int8), extra or {})
    ids, authors, classes = (np.asarray(col) for col in zip(*rows, strict=True))
    note_id = ids.astype(np.int64)
    classification = np.where(classes == c.MISLEADING, c.CLASS_MISLEADING,
                              c.CLASS_NOT_MISLEADING).astype(np.int8)
    return NotesFrame(note_id, authors.astype(np.int64), millis_of(note_id), classification,
                      extra or {})


def ratings_frame(rows: Sequence[Any]) -> RatingsFrame:
    """rows of (note_id, account_id, version, helpful_num, helpful_tags, not_helpful_tags)."""
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return RatingsFrame.without_tags(z, z, z, np.zeros(0))
    note, rater, version, num, h_tags, nh_tags = zip(*rows, strict=True)
    return RatingsFrame(
        note_id=np.asarray(note, dtype=np.int64),
        rater_id=np.asarray(rater, dtype=np.int64),
        created_at_millis=millis_of(np.asarray(version, dtype=np.int64)),
        helpful_num=np.asarray(num, dtype=np.float64),
        helpful_tags=bit_matrix(np.asarray(h_tags, dtype=np.int64), len(c.HELPFUL_TAGS)),
        not_helpful_tags=bit_matrix(np.asarray(nh_tags, dtype=np.int64),
                                    len(c.NOT_HELPFUL_TAGS)),
    )


HISTORY_COLUMNS = (
    "note_id", "author_id", "first_non_nmr_ms", "first_non_nmr_status", "current_status_ms",
    "current_status", "most_recent_non_nmr_ms", "most_recent_non_nmr_status", "lock_ms",
    "locked_status", "retro_lock_ms", "current_core_status", "current_decided_by",
)


def history_frame(rows: Sequence[Any]) -> StatusHistoryFrame:
    """rows with HISTORY_COLUMNS (note_status joined to the note's author)."""
    if not rows:
        return StatusHistoryFrame.empty()
    cols = dict(zip(HISTORY_COLUMNS, zip(*rows, strict=True), strict=True))
    note_id = np.asarray(cols["note_id"], dtype=np.int64)
    return StatusHistoryFrame(
        note_id=note_id,
        author_id=np.asarray(cols["author_id"], dtype=np.int64),
        created_at_millis=millis_of(note_id),
        first_non_nmr_millis=_ms(cols["first_non_nmr_ms"]),
        first_non_nmr_status=status_codes(cols["first_non_nmr_status"]),
        current_status_millis=_ms(cols["current_status_ms"]),
        current_status=status_codes(cols["current_status"]),
        most_recent_non_nmr_millis=_ms(cols["most_recent_non_nmr_ms"]),
        most_recent_non_nmr_status=status_codes(cols["most_recent_non_nmr_status"]),
        lock_millis=_ms(cols["lock_ms"]),
        locked_status=status_codes(cols["locked_status"]),
        retro_lock_millis=_ms(cols["retro_lock_ms"]),
        current_core_status=status_codes(cols["current_core_status"]),
        current_decided_by=np.asarray(cols["current_decided_by"], dtype=object),
    )


# --- results back to rows ------------------------------------------------------------------------


def status_rows(result: ScoreResult, status_of_note: dict[int, int], run_id: int
                ) -> list[dict[str, Any]]:
    """note_status rows for the scored notes that still exist (keys of status_of_note)."""
    h, s = result.history, result.notes
    assert np.array_equal(h.note_id, s.note_id)  # both sorted by note id, one row per note
    columns: dict[str, list[Any]] = {
        "note_id": h.note_id.tolist(),
        "current_status": status_names(h.current_status),
        "current_status_ms": _int_or_none(h.current_status_millis),
        "current_core_status": status_names(h.current_core_status),
        "current_decided_by": list(h.current_decided_by),
        "first_non_nmr_status": status_names(h.first_non_nmr_status),
        "first_non_nmr_ms": _int_or_none(h.first_non_nmr_millis),
        "most_recent_non_nmr_status": status_names(h.most_recent_non_nmr_status),
        "most_recent_non_nmr_ms": _int_or_none(h.most_recent_non_nmr_millis),
        "locked_status": status_names(h.locked_status),
        "lock_ms": _int_or_none(h.lock_millis),
        "retro_lock_ms": _int_or_none(h.retro_lock_millis),
        "intercept": _float_or_none(s.core_intercept),
        "factor": _float_or_none(s.core_factor),
        "num_ratings": s.num_ratings.tolist(),
        "first_tag": list(s.first_tag),
        "second_tag": list(s.second_tag),
    }
    names = list(columns)
    out = []
    for values in zip(*columns.values(), strict=True):
        row = dict(zip(names, values, strict=True))
        if row["note_id"] in status_of_note:
            row["status_id"] = status_of_note[row["note_id"]]
            row["run_id"] = run_id
            out.append(row)
    return out


def contributor_rows(raters: RaterScores, run_id: int, accounts: set[int]
                     ) -> list[dict[str, Any]]:
    columns: dict[str, list[Any]] = {
        "account_id": raters.participant_id.tolist(),
        "rater_intercept": _float_or_none(raters.core_rater_intercept),
        "rater_factor": _float_or_none(raters.core_rater_factor),
        "rater_agree_ratio": _float_or_none(raters.rater_agree_ratio),
        "crh_crnh_ratio_difference": _float_or_none(raters.crh_crnh_ratio_difference),
        "mean_note_score": _float_or_none(raters.mean_note_score),
        "above_helpfulness_threshold": raters.above_helpfulness_threshold.tolist(),
        "successful_helpful": raters.successful_rating_helpful_count.tolist(),
        "successful_not_helpful": raters.successful_rating_not_helpful_count.tolist(),
        "unsuccessful_helpful": raters.unsuccessful_rating_helpful_count.tolist(),
        "unsuccessful_not_helpful": raters.unsuccessful_rating_not_helpful_count.tolist(),
    }
    names = list(columns)
    return [{**dict(zip(names, values, strict=True)), "run_id": run_id}
            for values in zip(*columns.values(), strict=True) if values[0] in accounts]


def notes_extra(rows: Sequence[Any]) -> dict[str, NDArray[np.object_]]:
    """Published notes columns for export, from rows of (status_id, reasons, summary,
    classification): tweetId is the post's id, the checkboxes are 0/1."""
    if not rows:
        return {}
    status_id, reasons, summary, classes = (np.asarray(col, dtype=object)
                                            for col in zip(*rows, strict=True))
    masks = reasons.astype(np.int64)
    misleading = classes == c.MISLEADING
    extra: dict[str, NDArray[np.object_]] = {
        "tweetId": status_id.astype(str).astype(object),
        "summary": summary,
        "trustworthySources": np.full(len(rows), "1", dtype=object),  # a link is required
    }
    flag = np.array(["0", "1"], dtype=object)
    for vocabulary, side in ((c.MISLEADING_TAGS, misleading), (c.NOT_MISLEADING_TAGS, ~misleading)):
        bits = bit_matrix(masks, len(vocabulary)) & side[:, None]
        for k, name in enumerate(vocabulary):
            extra[name] = flag[bits[:, k].astype(np.intp)]
    return extra

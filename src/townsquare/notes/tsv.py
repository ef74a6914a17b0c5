"""Public Community Notes TSV files, read and written with their published column names.

Inputs: notes, ratings, noteStatusHistory, userEnrollment (header row, tab separated, quoted like
pandas).  Outputs: scored_notes.tsv, helpful_scores.tsv, note_status_history.tsv, with the
published scorer's columns; columns this scorer does not compute are left empty (docs/notes.md).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c
from townsquare.notes.frames import (
    EnrollmentFrame,
    NotesFrame,
    RaterScores,
    RatingsFrame,
    ScoredNotes,
    StatusHistoryFrame,
)
from townsquare.notes.participants import ParticipantIds
from townsquare.notes.tsv_ratings import TsvError, read_ratings_csv, read_ratings_fast

__all__ = ["Dataset", "ParticipantIds", "TsvError", "read_dataset"]

NOTE_COLUMNS = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "tweetId",
    "classification",
    "believable",
    "harmful",
    "validationDifficulty",
    *c.MISLEADING_TAGS,
    *c.NOT_MISLEADING_TAGS,
    "trustworthySources",
    "summary",
    "isMediaNote",
)
RATING_COLUMNS = (
    "noteId",
    "raterParticipantId",
    "createdAtMillis",
    "version",
    "agree",
    "disagree",
    "helpful",
    "notHelpful",
    "helpfulnessLevel",
    *c.HELPFUL_TAGS,
    *c.NOT_HELPFUL_TAGS,
    "ratedOnTweetId",
)
STATUS_HISTORY_COLUMNS = (
    "noteId",
    "noteAuthorParticipantId",
    "createdAtMillis",
    "timestampMillisOfFirstNonNMRStatus",
    "firstNonNMRStatus",
    "timestampMillisOfCurrentStatus",
    "currentStatus",
    "timestampMillisOfLatestNonNMRStatus",
    "mostRecentNonNMRStatus",
    "timestampMillisOfStatusLock",
    "lockedStatus",
    "timestampMillisOfRetroLock",
    "currentCoreStatus",
    "currentExpansionStatus",
    "currentGroupStatus",
    "currentDecidedBy",
    "currentModelingGroup",
)
ENROLLMENT_COLUMNS = (
    "participantId",
    "enrollmentState",
    "successfulRatingNeededToEarnIn",
    "timestampOfLastStateChange",
    "timestampOfLastEarnOut",
    "modelingPopulation",
    "modelingGroup",
)
SCORED_NOTES_COLUMNS = (
    "noteId",
    "coreNoteIntercept",
    "coreNoteFactor1",
    "finalRatingStatus",
    "firstTag",
    "secondTag",
    "coreActiveRules",
    "activeFilterTags",
    "classification",
    "createdAtMillis",
    "coreRatingStatus",
    "metaScorerActiveRules",
    "decidedBy",
    "expansionNoteIntercept",
    "expansionNoteFactor1",
    "expansionRatingStatus",
    "coverageNoteIntercept",
    "coverageNoteFactor1",
    "coverageRatingStatus",
    "coreNoteInterceptMin",
    "coreNoteInterceptMax",
    "expansionNoteInterceptMin",
    "expansionNoteInterceptMax",
    "coverageNoteInterceptMin",
    "coverageNoteInterceptMax",
    "groupNoteIntercept",
    "groupNoteFactor1",
    "groupRatingStatus",
    "groupNoteInterceptMax",
    "groupNoteInterceptMin",
    "modelingGroup",
    "numRatings",
    "timestampMillisOfCurrentStatus",
    "expansionPlusNoteIntercept",
    "expansionPlusNoteFactor1",
    "expansionPlusRatingStatus",
)
HELPFUL_SCORES_COLUMNS = (
    "raterParticipantId",
    "coreRaterIntercept",
    "coreRaterFactor1",
    "crhCrnhRatioDifference",
    "meanNoteScore",
    "raterAgreeRatio",
    "successfulRatingHelpfulCount",
    "successfulRatingNotHelpfulCount",
    "successfulRatingTotal",
    "unsuccessfulRatingHelpfulCount",
    "unsuccessfulRatingNotHelpfulCount",
    "unsuccessfulRatingTotal",
    "ratingsAwaitingMoreRatings",
    "ratedAfterDecision",
    "notesCurrentlyRatedHelpful",
    "notesCurrentlyRatedNotHelpful",
    "notesAwaitingMoreRatings",
    "enrollmentState",
    "successfulRatingNeededToEarnIn",
    "authorTopNotHelpfulTagValues",
    "timestampOfLastStateChange",
    "aboveHelpfulnessThreshold",
    "isEmergingWriter",
    "aggregateRatingReceivedTotal",
    "timestampOfLastEarnOut",
    "groupRaterIntercept",
    "groupRaterFactor1",
    "modelingGroup",
    "raterHelpfulnessReputation",
)

_CLASS_CODES = {c.MISLEADING: c.CLASS_MISLEADING, c.NOT_MISLEADING: c.CLASS_NOT_MISLEADING}
_CLASS_NAMES = {v: k for k, v in _CLASS_CODES.items()}
# Statuses newer scorers write that a core-only scorer treats as "not shown".
_STATUS_CODES = {
    "": c.STATUS_NONE,
    c.NMR: c.STATUS_NMR,
    c.CRH: c.STATUS_CRH,
    c.CRNH: c.STATUS_CRNH,
    "FIRM_REJECT": c.STATUS_NMR,
    "NEEDS_YOUR_HELP": c.STATUS_NMR,
}

Column = Sequence[str]


# --- generic table I/O -----------------------------------------------------------------------


def _read_table(path: str) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t")
        try:
            header = next(reader)
        except StopIteration:
            raise TsvError(f"{path}: empty file, expected a header row") from None
        columns: list[list[str]] = [[] for _ in header]
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise TsvError(f"{path}:{line}: {len(row)} fields, header has {len(header)}")
            for column, value in zip(columns, row, strict=True):
                column.append(value)
    return dict(zip(header, columns, strict=True))


def _write_table(path: str, header: Sequence[str], columns: Sequence[Column]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*columns, strict=True))


def _require(table: dict[str, list[str]], path: str, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in table]
    if missing:
        raise TsvError(f"{path}: missing column(s) {', '.join(missing)}")


def _ints(values: list[str], name: str) -> NDArray[np.int64]:
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError as e:
        raise TsvError(f"column {name}: {e}") from None


def _floats(values: list[str]) -> NDArray[np.float64]:
    return np.array([float(v) if v else np.nan for v in values], dtype=np.float64)


def _statuses(values: list[str]) -> NDArray[np.int8]:
    try:
        return np.array([_STATUS_CODES[v] for v in values], dtype=np.int8)
    except KeyError as e:
        raise TsvError(f"unknown note status {e}") from None


def _fmt_float(values: NDArray[np.float64]) -> list[str]:
    """Like pandas: shortest repr, NaN as an empty field."""
    return ["" if math.isnan(v) else repr(v) for v in values.tolist()]


def _fmt_int(values: NDArray[np.int64]) -> list[str]:
    return [str(v) for v in values.tolist()]


def _fmt_status(values: NDArray[np.int8]) -> list[str]:
    names = (*c.STATUS_NAMES, "")  # STATUS_NONE (-1) picks the empty name
    return [names[v] for v in values.tolist()]


def _fmt_obj(values: NDArray[np.object_]) -> list[str]:
    return ["" if v is None else str(v) for v in values.tolist()]


def _names(codes: NDArray[np.int64], ids: ParticipantIds | None) -> list[str]:
    return _fmt_obj(ids.names(codes)) if ids is not None else _fmt_int(codes)


def _blank(n: int) -> list[str]:
    return [""] * n


def _columns(
    header: Sequence[str],
    known: dict[str, list[str]],
    extra: dict[str, NDArray[np.object_]],
    n: int,
    defaults: dict[str, str] | None = None,
) -> list[list[str]]:
    """Each header column from computed values, else kept input values, else a default."""
    out = []
    for h in header:
        if h in known:
            out.append(known[h])
        elif h in extra:
            out.append(_fmt_obj(extra[h]))
        else:
            out.append([(defaults or {}).get(h, "")] * n)
    return out


# --- inputs ------------------------------------------------------------------------------------


def read_notes(path: str, ids: ParticipantIds) -> NotesFrame:
    t = _read_table(path)
    _require(t, path, ("noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"))
    core = {"noteId", "noteAuthorParticipantId", "createdAtMillis", "classification"}
    return NotesFrame(
        note_id=_ints(t["noteId"], "noteId"),
        author_id=ids.codes(t["noteAuthorParticipantId"]),
        created_at_millis=_ints(t["createdAtMillis"], "createdAtMillis"),
        classification=np.array(
            [_CLASS_CODES.get(v, c.CLASS_UNKNOWN) for v in t["classification"]], dtype=np.int8
        ),
        extra={k: np.array(v, dtype=object) for k, v in t.items() if k not in core},
    )


def write_notes(path: str, notes: NotesFrame, ids: ParticipantIds | None = None) -> None:
    n = len(notes)
    defaults = {"tweetId": "-1", "trustworthySources": "0", "isMediaNote": "0"}
    defaults.update({t: "0" for t in (*c.MISLEADING_TAGS, *c.NOT_MISLEADING_TAGS)})
    known = {
        "noteId": _fmt_int(notes.note_id),
        "noteAuthorParticipantId": _names(notes.author_id, ids),
        "createdAtMillis": _fmt_int(notes.created_at_millis),
        "classification": [_CLASS_NAMES.get(v, "") for v in notes.classification.tolist()],
    }
    # Published columns first, then any others the file came with, in their original order.
    header = [*NOTE_COLUMNS, *(k for k in notes.extra if k not in NOTE_COLUMNS)]
    _write_table(path, header, _columns(header, known, notes.extra, n, defaults))


def read_ratings(path: str, ids: ParticipantIds) -> RatingsFrame:
    """A ratings file, or a directory of them (the public download splits ratings in parts)."""
    if os.path.isdir(path):
        parts = [
            read_ratings(os.path.join(path, name), ids)
            for name in sorted(os.listdir(path))
            if name.endswith(".tsv")
        ]
        if not parts:
            raise TsvError(f"{path}: no .tsv files")
        return RatingsFrame.concat(parts)
    frame = read_ratings_fast(path, ids)
    return frame if frame is not None else read_ratings_csv(path, ids)


def write_ratings(path: str, ratings: RatingsFrame, ids: ParticipantIds | None = None) -> None:
    """Current public format (helpfulnessLevel); columns we do not keep get neutral values."""
    n = len(ratings)
    level = np.full(n, "", dtype=object)
    level[ratings.helpful_num == 1.0] = c.HELPFUL
    level[ratings.helpful_num == 0.5] = c.SOMEWHAT_HELPFUL
    level[ratings.helpful_num == 0.0] = c.NOT_HELPFUL
    flag = np.array(["0", "1"], dtype=object)
    known: dict[str, list[str]] = {
        "noteId": _fmt_int(ratings.note_id),
        "raterParticipantId": _names(ratings.rater_id, ids),
        "createdAtMillis": _fmt_int(ratings.created_at_millis),
        "helpfulnessLevel": level.tolist(),
    }
    for k, tag in enumerate(c.HELPFUL_TAGS):
        known[tag] = flag[ratings.helpful_tags[:, k].astype(np.intp)].tolist()
    for k, tag in enumerate(c.NOT_HELPFUL_TAGS):
        known[tag] = flag[ratings.not_helpful_tags[:, k].astype(np.intp)].tolist()
    defaults = {"version": "2", "ratedOnTweetId": "-1"}
    columns = [known.get(h) or [defaults.get(h, "0")] * n for h in RATING_COLUMNS]
    _write_table(path, RATING_COLUMNS, columns)


def read_status_history(path: str, ids: ParticipantIds) -> StatusHistoryFrame:
    t = _read_table(path)
    _require(t, path, ("noteId", "noteAuthorParticipantId", "createdAtMillis"))
    n = len(t["noteId"])

    def col(name: str) -> list[str]:
        return t.get(name, _blank(n))

    return StatusHistoryFrame(
        note_id=_ints(t["noteId"], "noteId"),
        author_id=ids.codes(t["noteAuthorParticipantId"]),
        # Written as doubles by pandas ("1652918400000.0").
        created_at_millis=_floats(t["createdAtMillis"]).astype(np.int64),
        first_non_nmr_millis=_floats(col("timestampMillisOfFirstNonNMRStatus")),
        first_non_nmr_status=_statuses(col("firstNonNMRStatus")),
        current_status_millis=_floats(col("timestampMillisOfCurrentStatus")),
        current_status=_statuses(col("currentStatus")),
        most_recent_non_nmr_millis=_floats(col("timestampMillisOfLatestNonNMRStatus")),
        most_recent_non_nmr_status=_statuses(col("mostRecentNonNMRStatus")),
        lock_millis=_floats(col("timestampMillisOfStatusLock")),
        locked_status=_statuses(col("lockedStatus")),
        retro_lock_millis=_floats(col("timestampMillisOfRetroLock")),
        current_core_status=_statuses(col("currentCoreStatus")),
        current_decided_by=np.array([v or None for v in col("currentDecidedBy")], dtype=object),
        extra={k: np.array(v, dtype=object) for k, v in t.items() if k not in _HISTORY_PARSED},
    )


_HISTORY_PARSED = set(STATUS_HISTORY_COLUMNS) - {
    "currentExpansionStatus",
    "currentGroupStatus",
    "currentModelingGroup",
}


def write_status_history(
    path: str, history: StatusHistoryFrame, ids: ParticipantIds | None = None
) -> None:
    n = len(history)
    known = {
        "noteId": _fmt_int(history.note_id),
        "noteAuthorParticipantId": _names(history.author_id, ids),
        "createdAtMillis": _fmt_int(history.created_at_millis),
        "timestampMillisOfFirstNonNMRStatus": _fmt_float(history.first_non_nmr_millis),
        "firstNonNMRStatus": _fmt_status(history.first_non_nmr_status),
        "timestampMillisOfCurrentStatus": _fmt_float(history.current_status_millis),
        "currentStatus": _fmt_status(history.current_status),
        "timestampMillisOfLatestNonNMRStatus": _fmt_float(history.most_recent_non_nmr_millis),
        "mostRecentNonNMRStatus": _fmt_status(history.most_recent_non_nmr_status),
        "timestampMillisOfStatusLock": _fmt_float(history.lock_millis),
        "lockedStatus": _fmt_status(history.locked_status),
        "timestampMillisOfRetroLock": _fmt_float(history.retro_lock_millis),
        "currentCoreStatus": _fmt_status(history.current_core_status),
        "currentDecidedBy": _fmt_obj(history.current_decided_by),
    }
    _write_table(
        path, STATUS_HISTORY_COLUMNS, _columns(STATUS_HISTORY_COLUMNS, known, history.extra, n)
    )


def read_enrollment(path: str, ids: ParticipantIds) -> EnrollmentFrame:
    t = _read_table(path)
    _require(t, path, ("participantId",))
    n = len(t["participantId"])

    def col(name: str) -> list[str]:
        return t.get(name, _blank(n))

    return EnrollmentFrame(
        participant_id=ids.codes(t["participantId"]),
        enrollment_state=np.array(col("enrollmentState"), dtype=object),
        successful_rating_needed_to_earn_in=_floats(col("successfulRatingNeededToEarnIn")).astype(
            np.int64
        ),
        timestamp_of_last_state_change=_floats(col("timestampOfLastStateChange")).astype(np.int64),
        timestamp_of_last_earn_out=_floats(col("timestampOfLastEarnOut")),
        modeling_population=np.array(col("modelingPopulation"), dtype=object),
        modeling_group=_floats(col("modelingGroup")),
    )


def write_enrollment(path: str, frame: EnrollmentFrame, ids: ParticipantIds | None = None) -> None:
    columns = [
        _names(frame.participant_id, ids),
        _fmt_obj(frame.enrollment_state),
        _fmt_int(frame.successful_rating_needed_to_earn_in),
        _fmt_int(frame.timestamp_of_last_state_change),
        _fmt_float(frame.timestamp_of_last_earn_out),
        _fmt_obj(frame.modeling_population),
        _fmt_float(frame.modeling_group),
    ]
    _write_table(path, ENROLLMENT_COLUMNS, columns)


@dataclass
class Dataset:
    notes: NotesFrame
    ratings: RatingsFrame
    status_history: StatusHistoryFrame | None
    enrollment: EnrollmentFrame | None
    ids: ParticipantIds


def read_dataset(
    notes: str, ratings: str, status: str | None = None, enrollment: str | None = None
) -> Dataset:
    ids = ParticipantIds()
    return Dataset(
        notes=read_notes(notes, ids),
        ratings=read_ratings(ratings, ids),
        status_history=read_status_history(status, ids) if status else None,
        enrollment=read_enrollment(enrollment, ids) if enrollment else None,
        ids=ids,
    )


# --- outputs -----------------------------------------------------------------------------------


def write_scored_notes(
    path: str, scored: ScoredNotes, now_millis: int, ids: ParticipantIds | None = None
) -> None:
    n = len(scored)
    del ids  # scoredNotes has no participant columns
    known = {
        "noteId": _fmt_int(scored.note_id),
        "coreNoteIntercept": _fmt_float(scored.core_intercept),
        "coreNoteFactor1": _fmt_float(scored.core_factor),
        "finalRatingStatus": _fmt_status(scored.final_status),
        "firstTag": _fmt_obj(scored.first_tag),
        "secondTag": _fmt_obj(scored.second_tag),
        "coreActiveRules": _fmt_obj(scored.core_active_rules),
        "classification": [_CLASS_NAMES.get(v, "") for v in scored.classification.tolist()],
        "createdAtMillis": _fmt_int(scored.created_at_millis),
        "coreRatingStatus": _fmt_status(scored.core_status),
        "metaScorerActiveRules": _fmt_obj(scored.meta_active_rules),
        "decidedBy": _fmt_obj(scored.decided_by),
        "numRatings": _fmt_int(scored.num_ratings),
        "timestampMillisOfCurrentStatus": [repr(float(now_millis))] * n,
    }
    _write_table(
        path, SCORED_NOTES_COLUMNS, [known.get(h, _blank(n)) for h in SCORED_NOTES_COLUMNS]
    )


def write_helpful_scores(path: str, raters: RaterScores, ids: ParticipantIds | None = None) -> None:
    n = len(raters)
    sh, snh = raters.successful_rating_helpful_count, raters.successful_rating_not_helpful_count
    uh, unh = raters.unsuccessful_rating_helpful_count, raters.unsuccessful_rating_not_helpful_count
    known = {
        "raterParticipantId": _names(raters.participant_id, ids),
        "coreRaterIntercept": _fmt_float(raters.core_rater_intercept),
        "coreRaterFactor1": _fmt_float(raters.core_rater_factor),
        "crhCrnhRatioDifference": _fmt_float(raters.crh_crnh_ratio_difference),
        "meanNoteScore": _fmt_float(raters.mean_note_score),
        "raterAgreeRatio": _fmt_float(raters.rater_agree_ratio),
        "successfulRatingHelpfulCount": _fmt_int(sh),
        "successfulRatingNotHelpfulCount": _fmt_int(snh),
        "successfulRatingTotal": _fmt_int(sh + snh),
        "unsuccessfulRatingHelpfulCount": _fmt_int(uh),
        "unsuccessfulRatingNotHelpfulCount": _fmt_int(unh),
        "unsuccessfulRatingTotal": _fmt_int(uh + unh),
        "ratingsAwaitingMoreRatings": _fmt_int(raters.ratings_awaiting_more_ratings),
        "ratedAfterDecision": _fmt_int(raters.rated_after_decision),
        "notesCurrentlyRatedHelpful": _fmt_int(raters.notes_currently_rated_helpful),
        "notesCurrentlyRatedNotHelpful": _fmt_int(raters.notes_currently_rated_not_helpful),
        "notesAwaitingMoreRatings": _fmt_int(raters.notes_awaiting_more_ratings),
        "aboveHelpfulnessThreshold": [str(v) for v in raters.above_helpfulness_threshold.tolist()],
    }
    _write_table(
        path, HELPFUL_SCORES_COLUMNS, [known.get(h, _blank(n)) for h in HELPFUL_SCORES_COLUMNS]
    )

"""Column-oriented inputs and outputs of the scorer: one NumPy array per column, no pandas.

Participant ids (note authors, raters) are int64 everywhere: townsquare's own account ids, or codes
handed out by `ParticipantIds` when the public TSV files (64-character hex ids) are read.
Statuses are int8 codes from `constants` (STATUS_*), classifications CLASS_* codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]
Obj = NDArray[np.object_]


def _check_lengths(frame: object, n: int) -> None:
    for f in fields(frame):  # type: ignore[arg-type]
        value = getattr(frame, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] != (n,):
            raise ValueError(f"{type(frame).__name__}.{f.name} has {len(value)} rows, expected {n}")
        if isinstance(value, dict):
            for name, column in value.items():
                if len(column) != n:
                    raise ValueError(f"{type(frame).__name__} extra column {name!r}: wrong length")


@dataclass
class NotesFrame:
    note_id: I64
    author_id: I64
    created_at_millis: I64
    classification: I8  # CLASS_MISLEADING / CLASS_NOT_MISLEADING / CLASS_UNKNOWN
    # Other published columns (tweetId, summary, misleading* ...) kept verbatim as strings so a
    # file can be written back unchanged; the scorer never reads them.
    extra: dict[str, Obj] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_lengths(self, len(self.note_id))

    def __len__(self) -> int:
        return len(self.note_id)


@dataclass
class RatingsFrame:
    note_id: I64
    rater_id: I64
    created_at_millis: I64
    helpful_num: F64  # 1.0 helpful, 0.5 somewhat helpful, 0.0 not helpful, NaN no answer
    helpful_tags: Bool  # (n, 9) in constants.HELPFUL_TAGS order
    not_helpful_tags: Bool  # (n, 13) in constants.NOT_HELPFUL_TAGS order
    extra: dict[str, Obj] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.note_id)
        _check_lengths(self, n)
        if self.helpful_tags.shape != (n, len(c.HELPFUL_TAGS)):
            raise ValueError(f"helpful_tags must have shape ({n}, {len(c.HELPFUL_TAGS)})")
        if self.not_helpful_tags.shape != (n, len(c.NOT_HELPFUL_TAGS)):
            raise ValueError(f"not_helpful_tags must have shape ({n}, {len(c.NOT_HELPFUL_TAGS)})")

    def __len__(self) -> int:
        return len(self.note_id)

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_] | slice) -> RatingsFrame:
        """The ratings at `index` (extra columns are dropped)."""
        return RatingsFrame(
            self.note_id[index],
            self.rater_id[index],
            self.created_at_millis[index],
            self.helpful_num[index],
            self.helpful_tags[index],
            self.not_helpful_tags[index],
        )

    @classmethod
    def concat(cls, parts: list[RatingsFrame]) -> RatingsFrame:
        return cls(
            np.concatenate([p.note_id for p in parts]),
            np.concatenate([p.rater_id for p in parts]),
            np.concatenate([p.created_at_millis for p in parts]),
            np.concatenate([p.helpful_num for p in parts]),
            np.concatenate([p.helpful_tags for p in parts]),
            np.concatenate([p.not_helpful_tags for p in parts]),
        )

    @classmethod
    def without_tags(
        cls, note_id: I64, rater_id: I64, created_at_millis: I64, helpful_num: F64
    ) -> RatingsFrame:
        n = len(note_id)
        return cls(
            note_id=np.asarray(note_id, dtype=np.int64),
            rater_id=np.asarray(rater_id, dtype=np.int64),
            created_at_millis=np.asarray(created_at_millis, dtype=np.int64),
            helpful_num=np.asarray(helpful_num, dtype=np.float64),
            helpful_tags=np.zeros((n, len(c.HELPFUL_TAGS)), dtype=np.bool_),
            not_helpful_tags=np.zeros((n, len(c.NOT_HELPFUL_TAGS)), dtype=np.bool_),
        )


@dataclass
class StatusHistoryFrame:
    """noteStatusHistory: one row per note ever scored. Missing timestamps are NaN."""

    note_id: I64
    author_id: I64
    created_at_millis: I64
    first_non_nmr_millis: F64
    first_non_nmr_status: I8
    current_status_millis: F64
    current_status: I8
    most_recent_non_nmr_millis: F64
    most_recent_non_nmr_status: I8
    lock_millis: F64
    locked_status: I8
    retro_lock_millis: F64
    current_core_status: I8
    current_decided_by: Obj  # rule name or None
    extra: dict[str, Obj] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_lengths(self, len(self.note_id))

    def __len__(self) -> int:
        return len(self.note_id)

    @classmethod
    def empty(cls) -> StatusHistoryFrame:
        i64 = np.zeros(0, dtype=np.int64)
        f64 = np.zeros(0, dtype=np.float64)
        i8 = np.zeros(0, dtype=np.int8)
        return cls(i64, i64, i64, f64, i8, f64, i8, f64, i8, f64, i8, f64, i8, np.zeros(0, object))


@dataclass
class EnrollmentFrame:
    """userEnrollment. The core scorer does not use it (see docs/notes.md); kept for round trips."""

    participant_id: I64
    enrollment_state: Obj
    successful_rating_needed_to_earn_in: I64
    timestamp_of_last_state_change: I64
    timestamp_of_last_earn_out: F64
    modeling_population: Obj
    modeling_group: F64

    def __post_init__(self) -> None:
        _check_lengths(self, len(self.participant_id))

    def __len__(self) -> int:
        return len(self.participant_id)


@dataclass
class ScoredNotes:
    """One row per note known from notes or noteStatusHistory (scoredNotes.tsv)."""

    note_id: I64
    author_id: I64
    created_at_millis: I64
    classification: I8
    num_ratings: I64
    core_intercept: F64  # NaN when the note was not in the final fit
    core_factor: F64
    core_status: I8
    core_active_rules: Obj  # comma-joined published rule names
    final_status: I8
    meta_active_rules: Obj
    decided_by: Obj
    first_tag: Obj  # tag column name or None
    second_tag: Obj

    def __len__(self) -> int:
        return len(self.note_id)


@dataclass
class RaterScores:
    """One row per participant who rated in the first fit or wrote a scored note."""

    participant_id: I64
    core_rater_intercept: F64  # NaN when not in the final fit
    core_rater_factor: F64
    crh_crnh_ratio_difference: F64
    mean_note_score: F64
    rater_agree_ratio: F64
    above_helpfulness_threshold: Bool
    successful_rating_helpful_count: I64
    successful_rating_not_helpful_count: I64
    unsuccessful_rating_helpful_count: I64
    unsuccessful_rating_not_helpful_count: I64
    ratings_awaiting_more_ratings: I64
    rated_after_decision: I64
    notes_currently_rated_helpful: I64
    notes_currently_rated_not_helpful: I64
    notes_awaiting_more_ratings: I64

    def __len__(self) -> int:
        return len(self.participant_id)

"""Community notes: the bridging matrix-factorisation scorer (a reimplementation of the published
Community Notes core scorer), its TSV I/O and the `townsquare notes` command."""

from townsquare.notes.frames import (
    EnrollmentFrame,
    NotesFrame,
    RaterScores,
    RatingsFrame,
    ScoredNotes,
    StatusHistoryFrame,
)
from townsquare.notes.scorer import ScoreReport, ScoreResult, score

__all__ = [
    "EnrollmentFrame",
    "NotesFrame",
    "RaterScores",
    "RatingsFrame",
    "ScoreReport",
    "ScoreResult",
    "ScoredNotes",
    "StatusHistoryFrame",
    "score",
]

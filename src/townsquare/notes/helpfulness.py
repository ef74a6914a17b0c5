"""Contributor helpfulness scores (published helpfulness_scores.py and note_ratings.py): which
raters keep their say in the second fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]


def ratings_before_status(
    note: I64,
    created: I64,
    note_created: I64,
    most_recent_non_nmr_millis: F64,
) -> Bool:
    """Ratings that could have predicted the outcome: made within 48 hours of the note (before any
    information could reach the public TSV) and before its most recent non-NMR status.  For notes
    from before noteStatusHistory existed, the first five such ratings."""
    age = created - note_created[note]
    before_public = age < c.PUBLIC_TSV_DELAY_MILLIS
    status_at = most_recent_non_nmr_millis[note]
    with np.errstate(invalid="ignore"):
        before_status = np.isnan(status_at) | (created < status_at)
    old = note_created[note] < c.DELETED_NOTE_TOMBSTONES_LAUNCH_MILLIS
    valid = ~old & before_public & before_status
    old_candidates = np.flatnonzero(old & before_public)
    if len(old_candidates):
        order = old_candidates[np.lexsort((created[old_candidates], note[old_candidates]))]
        notes_sorted = note[order]
        starts = np.flatnonzero(np.r_[True, notes_sorted[1:] != notes_sorted[:-1]])
        group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        rank = np.arange(len(order)) - group_start
        valid[order[rank < c.MAX_HISTORICAL_VALID_RATINGS]] = True
    return valid


@dataclass
class RatingOutcomes:
    """Per participant: how their binary ratings on notes with a status matched that status."""

    successful_helpful: I64  # helpful rating on a CRH note
    successful_not_helpful: I64  # not-helpful rating on a CRNH note
    unsuccessful_helpful: I64  # not-helpful rating on a CRH note (published naming)
    unsuccessful_not_helpful: I64  # helpful rating on a CRNH note
    rating_count: I64

    @property
    def agree(self) -> I64:
        return self.successful_helpful + self.successful_not_helpful

    def agree_ratio(self) -> F64:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.rating_count > 0, self.agree / self.rating_count, np.nan)


def rating_outcomes(
    rater: I64,
    note: I64,
    helpful_num: F64,
    valid: Bool,
    note_status: I8,
    n_participants: int,
) -> RatingOutcomes:
    """published get_valid_ratings + _rater_helpfulness: only "valid" ratings, only notes rated
    CRH or CRNH, only helpful / not-helpful answers (somewhat-helpful ratings do not count)."""
    status = note_status[note]
    crh = valid & (status == c.STATUS_CRH)
    crnh = valid & (status == c.STATUS_CRNH)
    yes = helpful_num == 1.0
    no = helpful_num == 0.0

    def count(mask: Bool) -> I64:
        return np.bincount(rater[mask], minlength=n_participants).astype(np.int64)

    return RatingOutcomes(
        successful_helpful=count(crh & yes),
        successful_not_helpful=count(crnh & no),
        unsuccessful_helpful=count(crh & no),
        unsuccessful_not_helpful=count(crnh & yes),
        rating_count=count((crh | crnh) & (yes | no)),
    )


@dataclass
class AuthorScores:
    note_count: I64
    crh_crnh_ratio_difference: F64  # NaN for participants without scored notes
    mean_note_score: F64


def author_scores(author: I64, intercept: F64, status: I8, n_participants: int) -> AuthorScores:
    """published author_helpfulness: over the notes that have an intercept from the fit."""
    scored = ~np.isnan(intercept)
    a = author[scored]
    n = np.bincount(a, minlength=n_participants).astype(np.float64)
    crh = np.bincount(a, weights=status[scored] == c.STATUS_CRH, minlength=n_participants)
    crnh = np.bincount(a, weights=status[scored] == c.STATUS_CRNH, minlength=n_participants)
    total = np.bincount(a, weights=intercept[scored], minlength=n_participants)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = crh / n - c.CRNH_MULTIPLIER * (crnh / n)
        mean = total / n
    return AuthorScores(n.astype(np.int64), diff, mean)


def above_threshold(authors: AuthorScores, agree_ratio: F64) -> Bool:
    """published compute_general_helpfulness_scores (without the harassment-abuse penalty):
    good enough as an author (or no scored notes) and agreeing often enough as a rater.  A
    participant with no valid ratings has no agree ratio and does not pass."""
    no_notes = authors.note_count == 0
    with np.errstate(invalid="ignore"):
        author_ok = no_notes | (
            (authors.crh_crnh_ratio_difference >= c.MIN_CRH_VS_CRNH_RATIO)
            & (authors.mean_note_score >= c.MIN_MEAN_NOTE_SCORE)
        )
        rater_ok = agree_ratio >= c.MIN_RATER_AGREE_RATIO
    return author_ok & rater_ok

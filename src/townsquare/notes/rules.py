"""Status rules, applied in the published order to whole arrays of notes at once.

A later rule overrides an earlier one, as in the published apply_scoring_rules.  Each function
returns the status codes and, per note, the names of the rules that acted on it (a rule "acts"
on a note when it assigns that note a status, even the one it already had).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]
Obj = NDArray[np.object_]


@dataclass
class RuleOutcome:
    status: I8
    acted: Bool  # (n_notes, n_rules): which rule assigned a status to which note

    def active_rules(self, names: tuple[str, ...]) -> Obj:
        """Comma-joined names of the rules that acted, per note (the *ActiveRules columns)."""
        out = np.empty(len(self.status), dtype=object)
        # Few distinct combinations exist; join once per combination, not once per note.
        codes = self.acted.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
        for code in np.unique(codes):
            out[codes == code] = ",".join(n for i, n in enumerate(names) if code >> i & 1)
        return out

    def decided_by(self, names: tuple[str, ...]) -> Obj:
        """Name of the last rule that acted on each note (the decidedBy column)."""
        last = len(names) - 1 - np.argmax(self.acted[:, ::-1], axis=1)
        return np.asarray(names, dtype=object)[last]


def core_status(
    intercept: F64,
    factor: F64,
    num_ratings: I64,
    classification: I8,
    previous_status: I8,
    final_round: bool = True,
) -> RuleOutcome:
    """The core model's rules (note_ratings.compute_scored_notes).  NaN intercepts (notes not in
    the fit) fail every comparison and stay NEEDS_MORE_RATINGS.

    Not applied here, see docs/notes.md: UCB CRNH (pseudo-raters), ratio CRNH, tag-outlier
    filter (and with it the CRH super-threshold), incorrect-tag filter, low-diligence filter."""
    n = len(intercept)
    status = np.full(n, c.STATUS_NMR, dtype=np.int8)
    acted = np.zeros((n, len(c.CORE_RULES)), dtype=np.bool_)
    acted[:, 0] = True  # InitialNMR
    enough = num_ratings >= c.MIN_RATINGS_NEEDED
    says_misleading = classification != c.CLASS_NOT_MISLEADING  # unknown (deleted) counts too
    abs_factor = np.abs(factor)
    with np.errstate(invalid="ignore"):
        # GeneralCRH: only notes that say the post is misleading can be shown as helpful.
        crh = enough & (intercept >= c.CRH_THRESHOLD) & says_misleading
        # GeneralCRNH: the "diamond" line, stricter for notes with a large factor.
        crnh = enough & (
            intercept
            <= c.CRNH_THRESHOLD_INTERCEPT + c.CRNH_THRESHOLD_NOTE_FACTOR_MULTIPLIER * abs_factor
        )
        # NmCRNH: low notes on posts they say are not misleading (no rating minimum).
        nm_crnh = (intercept < c.CRNH_THRESHOLD_NM_INTERCEPT) & (
            classification == c.CLASS_NOT_MISLEADING
        )
    status[crh] = c.STATUS_CRH
    acted[:, 1] = crh
    status[crnh] = c.STATUS_CRNH
    acted[:, 2] = crnh
    status[nm_crnh] = c.STATUS_CRNH
    acted[:, 3] = nm_crnh
    if final_round:
        with np.errstate(invalid="ignore"):
            # GeneralCRHInertia: a note shown as helpful last time keeps the status until its
            # intercept falls inertiaDelta below the threshold.
            sticky = (
                (status != c.STATUS_CRH)
                & enough
                & (intercept >= c.CRH_THRESHOLD - c.INERTIA_DELTA)
                & (previous_status == c.STATUS_CRH)
                & says_misleading
            )
        status[sticky] = c.STATUS_CRH
        acted[:, 4] = sticky
        # FilterLargeFactor: a helpful note must not lean far towards one side.
        large = (status == c.STATUS_CRH) & (abs_factor > c.FACTOR_THRESHOLD)
        status[large] = c.STATUS_NMR
        acted[:, 5] = large
    return RuleOutcome(status, acted)


def top_two_tags(counts: I64, tiebreak: I64) -> tuple[I64, I64]:
    """Per note, the two most used tags with at least MIN_RATINGS_TO_GET_TAG uses (-1 for none).
    Ties go to the tag with the higher published tie-break priority."""
    eligible = counts >= c.MIN_RATINGS_TO_GET_TAG
    key = np.where(eligible, counts * 64 + tiebreak[None, :], -1)
    order = np.argsort(-key, axis=1, kind="stable")[:, :2]
    top_key = np.take_along_axis(key, order, axis=1)
    order = np.where(top_key >= 0, order, -1)
    return order[:, 0], order[:, 1]


@dataclass
class MetaOutcome:
    outcome: RuleOutcome
    first_tag: Obj
    second_tag: Obj


def meta_status(
    core: I8,
    locked_status: I8,
    helpful_tag_counts: I64,
    not_helpful_tag_counts: I64,
) -> MetaOutcome:
    """The meta scorer's rules for a core-only scorer (run_scoring.meta_score):
    MetaInitialNMR, CoreModel, ScoringDriftGuard (a locked status wins) and
    InsufficientExplanation (a CRH/CRNH note needs two tags, each from >= 2 raters)."""
    n = len(core)
    acted = np.zeros((n, len(c.META_RULES)), dtype=np.bool_)
    acted[:, 0] = True
    acted[:, 1] = True
    status = core.copy()
    drift = (locked_status != c.STATUS_NONE) & (locked_status != status)
    status[drift] = locked_status[drift]
    acted[:, 2] = drift

    h_tiebreak = np.array([p for _, p in c.HELPFUL_TAGS_AND_TIEBREAK], dtype=np.int64)
    nh_tiebreak = np.array([p for _, p in c.NOT_HELPFUL_TAGS_AND_TIEBREAK], dtype=np.int64)
    h1, h2 = top_two_tags(helpful_tag_counts, h_tiebreak)
    nh1, nh2 = top_two_tags(not_helpful_tag_counts, nh_tiebreak)
    is_crh = status == c.STATUS_CRH
    is_crnh = status == c.STATUS_CRNH
    h_names = np.asarray((*c.HELPFUL_TAGS, None), dtype=object)
    nh_names = np.asarray((*c.NOT_HELPFUL_TAGS, None), dtype=object)
    first = np.full(n, None, dtype=object)
    second = np.full(n, None, dtype=object)
    # Tags are only shown when both are present (minTagsNeededForStatus = 2).
    crh_ok = is_crh & (h2 >= 0)
    crnh_ok = is_crnh & (nh2 >= 0)
    first[crh_ok] = h_names[h1[crh_ok]]
    second[crh_ok] = h_names[h2[crh_ok]]
    first[crnh_ok] = nh_names[nh1[crnh_ok]]
    second[crnh_ok] = nh_names[nh2[crnh_ok]]
    unexplained = (is_crh & ~crh_ok) | (is_crnh & ~crnh_ok)
    status[unexplained] = c.STATUS_NMR
    acted[:, 3] = unexplained
    return MetaOutcome(RuleOutcome(status, acted), first, second)

"""Each published status rule pinned at its boundary."""

from __future__ import annotations

import numpy as np

from townsquare.notes import constants as c
from townsquare.notes import rules

NONE = c.STATUS_NONE
MIS = c.CLASS_MISLEADING
NOT_MIS = c.CLASS_NOT_MISLEADING


def status_of(
    intercept: float,
    factor: float = 0.0,
    num_ratings: int = 5,
    classification: int = MIS,
    previous: int = NONE,
    final_round: bool = True,
) -> str:
    outcome = rules.core_status(
        np.array([intercept]),
        np.array([factor]),
        np.array([num_ratings]),
        np.array([classification], dtype=np.int8),
        np.array([previous], dtype=np.int8),
        final_round,
    )
    return c.STATUS_NAMES[int(outcome.status[0])]


def test_crh_intercept_threshold_is_inclusive() -> None:
    assert status_of(0.40) == c.CRH
    assert status_of(0.399) == c.NMR
    assert status_of(np.nextafter(0.40, 0.0)) == c.NMR


def test_crh_needs_five_ratings() -> None:
    assert status_of(0.6, num_ratings=5) == c.CRH
    assert status_of(0.6, num_ratings=4) == c.NMR


def test_large_factor_filter_uses_strictly_greater_than_half() -> None:
    # Published FilterLargeFactor drops CRH notes with |factor| > 0.5.
    assert status_of(0.6, factor=0.499) == c.CRH
    assert status_of(0.6, factor=0.5) == c.CRH
    assert status_of(0.6, factor=-0.5) == c.CRH
    assert status_of(0.6, factor=np.nextafter(0.5, 1.0)) == c.NMR
    assert status_of(0.6, factor=-0.501) == c.NMR
    # The filter is a final-round rule: the first round (which drives helpfulness) keeps CRH.
    assert status_of(0.6, factor=0.9, final_round=False) == c.CRH


def test_non_misleading_notes_are_never_crh() -> None:
    assert status_of(0.95, classification=NOT_MIS) == c.NMR
    assert status_of(0.95, classification=NOT_MIS, previous=c.STATUS_CRH) == c.NMR
    # A deleted note (classification unknown) is treated as "not NOT_MISLEADING", as published.
    assert status_of(0.95, classification=c.CLASS_UNKNOWN) == c.CRH


def test_not_helpful_line() -> None:
    factor = 0.25
    line = c.CRNH_THRESHOLD_INTERCEPT + c.CRNH_THRESHOLD_NOTE_FACTOR_MULTIPLIER * factor
    assert abs(line - -0.25) < 1e-12
    assert status_of(line, factor=factor) == c.CRNH
    assert status_of(line, factor=-factor) == c.CRNH
    assert status_of(np.nextafter(line, 0.0), factor=factor) == c.NMR
    assert status_of(-0.05) == c.CRNH
    assert status_of(-0.049) == c.NMR
    assert status_of(-0.9, num_ratings=4) == c.NMR


def test_low_notes_on_not_misleading_posts_are_crnh_below_minus_015() -> None:
    assert status_of(-0.16, factor=0.9, num_ratings=0, classification=NOT_MIS) == c.CRNH
    assert status_of(-0.15, factor=0.9, num_ratings=0, classification=NOT_MIS) == c.NMR


def test_sticky_crh_keeps_status_down_to_001_below_threshold() -> None:
    assert status_of(0.39, previous=c.STATUS_CRH) == c.CRH
    assert status_of(0.3899, previous=c.STATUS_CRH) == c.NMR
    # Without a previous CRH status the ordinary threshold applies.
    assert status_of(0.395, previous=c.STATUS_NMR) == c.NMR
    assert status_of(0.395, previous=NONE) == c.NMR
    # Sticky notes still need 5 ratings, a misleading classification and a small factor.
    assert status_of(0.395, previous=c.STATUS_CRH, num_ratings=4) == c.NMR
    assert status_of(0.395, previous=c.STATUS_CRH, factor=0.6) == c.NMR
    # Not applied in the first round.
    assert status_of(0.395, previous=c.STATUS_CRH, final_round=False) == c.NMR


def test_nan_intercept_needs_more_ratings() -> None:
    assert status_of(np.nan, factor=np.nan, num_ratings=50, previous=c.STATUS_CRH) == c.NMR


def test_active_rules_and_decided_by_use_published_names() -> None:
    outcome = rules.core_status(
        np.array([0.6, 0.6, -0.3]),
        np.array([0.0, 0.8, 0.0]),
        np.array([9, 9, 9]),
        np.array([MIS, MIS, MIS], dtype=np.int8),
        np.array([NONE, NONE, NONE], dtype=np.int8),
    )
    assert list(outcome.active_rules(c.CORE_RULES)) == [
        "InitialNMR (v1.0),GeneralCRH (v1.0)",
        "InitialNMR (v1.0),GeneralCRH (v1.0),FilterLargeFactor (v1.0)",
        "InitialNMR (v1.0),GeneralCRNH (v1.0)",
    ]
    assert list(outcome.decided_by(c.CORE_RULES)) == [
        "GeneralCRH (v1.0)",
        "FilterLargeFactor (v1.0)",
        "GeneralCRNH (v1.0)",
    ]


def tag_counts(kind: tuple[str, ...], **counts: int) -> np.ndarray:
    row = np.zeros((1, len(kind)), dtype=np.int64)
    for name, value in counts.items():
        row[0, kind.index(name)] = value
    return row


def meta(core: int, helpful: np.ndarray, not_helpful: np.ndarray, locked: int = NONE):
    return rules.meta_status(
        np.array([core], dtype=np.int8), np.array([locked], dtype=np.int8), helpful, not_helpful
    )


H, NH = c.HELPFUL_TAGS, c.NOT_HELPFUL_TAGS
NO_H = tag_counts(H)
NO_NH = tag_counts(NH)


def test_helpful_note_shows_its_two_top_helpful_tags() -> None:
    out = meta(c.STATUS_CRH, tag_counts(H, helpfulGoodSources=3, helpfulClear=2), NO_NH)
    assert out.outcome.status[0] == c.STATUS_CRH
    assert (out.first_tag[0], out.second_tag[0]) == ("helpfulGoodSources", "helpfulClear")


def test_tag_given_by_one_rater_is_not_shown_and_costs_the_status() -> None:
    out = meta(c.STATUS_CRH, tag_counts(H, helpfulGoodSources=5, helpfulClear=1), NO_NH)
    assert out.outcome.status[0] == c.STATUS_NMR
    assert out.first_tag[0] is None and out.second_tag[0] is None
    assert out.outcome.decided_by(c.META_RULES)[0] == c.RULE_INSUFFICIENT_EXPLANATION


def test_not_helpful_note_uses_not_helpful_tags_only() -> None:
    out = meta(
        c.STATUS_CRNH,
        tag_counts(H, helpfulGoodSources=9, helpfulClear=9),
        tag_counts(NH, notHelpfulIncorrect=4, notHelpfulOffTopic=3, notHelpfulOther=2),
    )
    assert out.outcome.status[0] == c.STATUS_CRNH
    assert (out.first_tag[0], out.second_tag[0]) == ("notHelpfulIncorrect", "notHelpfulOffTopic")


def test_tag_ties_follow_published_tiebreak_order() -> None:
    # helpfulOther loses every tie, helpfulInformative (priority 8) wins every tie.
    out = meta(
        c.STATUS_CRH,
        tag_counts(H, helpfulOther=3, helpfulInformative=3, helpfulClear=3),
        NO_NH,
    )
    assert (out.first_tag[0], out.second_tag[0]) == ("helpfulInformative", "helpfulClear")


def test_nmr_notes_get_no_tags() -> None:
    out = meta(c.STATUS_NMR, tag_counts(H, helpfulGoodSources=5, helpfulClear=5), NO_NH)
    assert out.first_tag[0] is None
    assert out.outcome.decided_by(c.META_RULES)[0] == c.RULE_CORE_MODEL


def test_locked_status_wins_over_the_model() -> None:
    out = meta(
        c.STATUS_NMR, tag_counts(H, helpfulClear=2, helpfulEmpathetic=2), NO_NH, locked=c.STATUS_CRH
    )
    assert out.outcome.status[0] == c.STATUS_CRH
    assert out.first_tag[0] == "helpfulClear"
    assert out.outcome.decided_by(c.META_RULES)[0] == c.RULE_SCORING_DRIFT_GUARD

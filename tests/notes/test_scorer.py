"""End-to-end outcomes of score() on worlds with two opposed camps."""

from __future__ import annotations

import numpy as np
import pytest
from notes_world import CONTRARIAN, NOW, World

from townsquare.notes import constants as c
from townsquare.notes import score, synthetic
from townsquare.notes.frames import RatingsFrame, StatusHistoryFrame
from townsquare.notes.scorer import ScoreResult


def run(world: World, **kwargs: object) -> ScoreResult:
    return score(world.notes, world.ratings, now_millis=NOW, **kwargs)  # type: ignore[arg-type]


def status(result: ScoreResult, note_id: int) -> str:
    row = int(np.flatnonzero(result.notes.note_id == note_id)[0])
    return c.STATUS_NAMES[int(result.notes.final_status[row])]


def test_note_both_camps_rate_helpful_is_helpful(world: World) -> None:
    result = run(world)
    assert status(result, world.target["both_like"]) == c.CRH
    row = np.flatnonzero(result.notes.note_id == world.target["both_like"])[0]
    assert result.notes.core_intercept[row] >= c.CRH_THRESHOLD
    assert abs(result.notes.core_factor[row]) <= c.FACTOR_THRESHOLD
    # Both tags were given equally often: the published tie-break puts helpfulClear first.
    assert (result.notes.first_tag[row], result.notes.second_tag[row]) == (
        "helpfulClear",
        "helpfulGoodSources",
    )


def test_note_one_camp_likes_is_not_helpful_and_has_a_large_factor(world: World) -> None:
    result = run(world)
    assert status(result, world.target["left_likes"]) == c.NMR
    row = np.flatnonzero(result.notes.note_id == world.target["left_likes"])[0]
    # Its raw helpful share is high among left raters, but the model puts it on the factor.
    assert abs(result.notes.core_factor[row]) > abs(result.notes.core_intercept[row])


def test_note_both_camps_reject_is_not_helpful(world: World) -> None:
    result = run(world)
    assert status(result, world.target["both_reject"]) == c.CRNH
    row = np.flatnonzero(result.notes.note_id == world.target["both_reject"])[0]
    assert result.notes.first_tag[row] in {"notHelpfulIncorrect", "notHelpfulOffTopic"}


def test_contrarians_lose_their_say_in_the_second_fit(world: World) -> None:
    result = run(world)
    raters = result.raters
    # Rows for note authors too (published outer join); these authors never rated.
    is_rater = raters.participant_id < len(world.group)
    assert not raters.above_helpfulness_threshold[~is_rater].any()
    assert np.isnan(raters.rater_agree_ratio[~is_rater]).all()
    group = world.group[raters.participant_id[is_rater]]
    kept = raters.above_helpfulness_threshold[is_rater]
    intercept = raters.core_rater_intercept[is_rater]
    contrarian = group == CONTRARIAN
    assert contrarian.sum() == 4
    assert not kept[contrarian].any()
    assert (raters.rater_agree_ratio[is_rater][contrarian] < c.MIN_RATER_AGREE_RATIO).all()
    # Not in the second fit: no final rater parameters.
    assert np.isnan(intercept[contrarian]).all()
    # The camps keep theirs.
    assert kept[~contrarian].mean() > 0.9
    assert not np.isnan(intercept[kept]).any()
    assert result.report.second_round is not None
    assert result.report.second_round.raters == int(raters.above_helpfulness_threshold.sum())


def test_camps_get_opposite_factor_signs_and_majority_is_negative(world: World) -> None:
    result = run(world)
    is_rater = result.raters.participant_id < len(world.group)
    f = result.raters.core_rater_factor[is_rater]
    g = world.group[result.raters.participant_id[is_rater]]
    left, right = np.nanmean(f[g == 0]), np.nanmean(f[g == 1])
    assert left * right < 0
    assert np.mean(f[~np.isnan(f)] < 0) >= 0.5


def test_scores_are_deterministic_for_a_seed(world: World) -> None:
    a = run(world, rng=np.random.default_rng(3))
    b = run(world, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.notes.core_intercept, b.notes.core_intercept)
    np.testing.assert_array_equal(a.notes.final_status, b.notes.final_status)


def test_result_does_not_depend_on_rating_order(world: World) -> None:
    perm = np.random.default_rng(1).permutation(len(world.ratings))
    r = world.ratings
    shuffled = RatingsFrame(
        r.note_id[perm],
        r.rater_id[perm],
        r.created_at_millis[perm],
        r.helpful_num[perm],
        r.helpful_tags[perm],
        r.not_helpful_tags[perm],
    )
    a = run(world)
    b = score(world.notes, shuffled, now_millis=NOW)
    np.testing.assert_allclose(a.notes.core_intercept, b.notes.core_intercept, atol=1e-6)


def test_latest_rating_per_rater_and_note_wins(world: World) -> None:
    r = world.ratings
    note_id = world.target["both_reject"]
    flip = np.flatnonzero((r.note_id == note_id) & (world.group[r.rater_id] != CONTRARIAN))
    # Every non-contrarian rater re-rates the rejected note as helpful, later.
    extra = RatingsFrame(
        r.note_id[flip],
        r.rater_id[flip],
        r.created_at_millis[flip] + 1000,
        np.ones(len(flip)),
        r.helpful_tags[flip],
        r.not_helpful_tags[flip],
    )
    both = RatingsFrame(
        *(
            np.concatenate([getattr(r, f), getattr(extra, f)])
            for f in (
                "note_id",
                "rater_id",
                "created_at_millis",
                "helpful_num",
                "helpful_tags",
                "not_helpful_tags",
            )
        )
    )
    result = score(world.notes, both, now_millis=NOW)
    assert result.report.ratings_used == len(r)
    assert status(result, note_id) != c.CRNH


def test_sticky_status_from_history(world: World) -> None:
    first = run(world)
    # Feed the run's own history back: nothing changes, and nothing locks (notes are young).
    second = run(world, previous_status=first.history)
    np.testing.assert_array_equal(first.notes.final_status, second.notes.final_status)
    assert (second.history.locked_status == c.STATUS_NONE).all()
    crh = first.history.current_status == c.STATUS_CRH
    assert crh.any()
    assert (first.history.first_non_nmr_status[crh] == c.STATUS_CRH).all()
    assert (first.history.most_recent_non_nmr_millis[crh] == NOW).all()


def test_old_notes_lock_and_locked_status_wins(world: World) -> None:
    later = NOW + 15 * 86_400_000
    first = score(world.notes, world.ratings, now_millis=later)
    assert (first.history.locked_status == first.notes.final_status).all()
    # Lock every note at CRH: the locked status overrides the model next time.
    h = first.history
    locked = StatusHistoryFrame(
        h.note_id,
        h.author_id,
        h.created_at_millis,
        h.first_non_nmr_millis,
        h.first_non_nmr_status,
        h.current_status_millis,
        h.current_status,
        h.most_recent_non_nmr_millis,
        h.most_recent_non_nmr_status,
        h.lock_millis,
        np.full(len(h), c.STATUS_CRH, dtype=np.int8),
        h.retro_lock_millis,
        h.current_core_status,
        h.current_decided_by,
    )
    second = score(world.notes, world.ratings, previous_status=locked, now_millis=later)
    row = np.flatnonzero(second.notes.note_id == world.target["both_reject"])[0]
    assert second.notes.core_status[row] == c.STATUS_CRNH
    assert second.notes.final_status[row] == c.STATUS_CRH
    assert second.notes.decided_by[row] == c.RULE_SCORING_DRIFT_GUARD


def test_too_few_ratings_gives_needs_more_ratings(world: World) -> None:
    r = world.ratings
    few = RatingsFrame(
        r.note_id[:3],
        r.rater_id[:3],
        r.created_at_millis[:3],
        r.helpful_num[:3],
        r.helpful_tags[:3],
        r.not_helpful_tags[:3],
    )
    result = score(world.notes, few, now_millis=NOW)
    assert (result.notes.final_status == c.STATUS_NMR).all()
    assert np.isnan(result.notes.core_intercept).all()
    assert result.report.first_round is None


@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_note_kinds(seed: int) -> None:
    data = synthetic.generate(60_000, seed=seed)
    result = score(data.notes, data.ratings, now_millis=synthetic.BASE_MILLIS + 40 * 86_400_000)
    final = result.notes.final_status
    kind = data.note_kind
    misleading = data.notes.classification == c.CLASS_MISLEADING
    good = (kind == synthetic.GOOD) & misleading
    partisan = (kind == synthetic.PARTISAN_LEFT) | (kind == synthetic.PARTISAN_RIGHT)
    assert np.mean(final[good] == c.STATUS_CRH) > 0.9
    assert not (final[partisan] == c.STATUS_CRH).any()
    assert np.mean(final[kind == synthetic.BAD] == c.STATUS_CRNH) > 0.9
    contrarian = data.rater_contrarian[result.raters.participant_id]
    assert not result.raters.above_helpfulness_threshold[contrarian].any()

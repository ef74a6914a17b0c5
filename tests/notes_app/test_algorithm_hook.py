"""Posts with a helpful community note are never boosted by the ranking."""

from __future__ import annotations

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.explain import ADJUSTMENT_WORDS, explained_total, explanation
from townsquare.algorithm.scoring import rank
from townsquare.algorithm.weights import ADJUSTMENTS, current

NOW = 1_800_000_000.0


def _candidate(status_id: int, **kw: object) -> Candidate:
    base = dict(status_id=status_id, author_id=status_id, created_at=NOW - 600,
                source="in_network", in_network=True, is_reply=False, likes=50, reblogs=20,
                replies=5, interactions=3, show_more=0, show_less=0, social_proof=2,
                community=0.5)
    base.update(kw)
    return Candidate(**base)  # type: ignore[arg-type]


def test_a_noted_post_keeps_no_positive_score_and_says_why() -> None:
    w = current()
    assert "community_note" in ADJUSTMENTS and "community_note" in ADJUSTMENT_WORDS
    assert w.adjustments["community_note"] == 0.0
    popular = _candidate(1, community_note=True)
    quiet = _candidate(2, likes=0, reblogs=0, replies=0, social_proof=0, interactions=0,
                       community=0.0, created_at=NOW - 40 * 3600)
    page = rank([popular, quiet], NOW, w, 10)
    assert [r.candidate.status_id for r in page] == [2, 1]  # the noted post lost its boost
    noted = page[1]
    assert noted.base > 0 and noted.score == 0.0
    assert [a.name for a in noted.adjustments] == ["community_note"]
    ex = explanation(noted, w, feed="for_you", served_feed_id=None)
    assert abs(explained_total(ex) - ex["score"]) < 1e-9  # the score is still its parts' sum
    assert "never boosted" in ex["adjustments"][0]["why"]
    # Switched off (evaluation), the same post ranks first again.
    assert rank([popular, quiet], NOW, w.without("community_note"), 10)[0].candidate == popular


def test_a_negative_score_is_left_alone_and_old_logs_still_load() -> None:
    w = current()
    disliked = _candidate(3, likes=0, reblogs=0, replies=0, social_proof=0, interactions=0,
                          community=0.0, show_less=5, created_at=NOW - 40 * 3600,
                          community_note=True)
    item = rank([disliked], NOW, w, 10)[0]
    assert item.score < 0 and "community_note" not in [a.name for a in item.adjustments]
    row = disliked.to_row()
    assert Candidate.from_row(row) == disliked
    old = Candidate.from_row(row[:-1])  # a log written before the flag existed
    assert old == disliked._replace(community_note=False)

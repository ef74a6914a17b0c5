"""The ranking's pure core: explanations add up, adjustments do what the weights file says."""

from __future__ import annotations

import zlib

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.explain import explained_total, explanation
from townsquare.algorithm.replay import candidates as logged_candidates
from townsquare.algorithm.replay import columns as logged_columns
from townsquare.algorithm.replay import decode_log, encode_log, replay
from townsquare.algorithm.scoring import diversity_multiplier, rank, score_one, static_scores
from townsquare.algorithm.weights import ADJUSTMENTS, FEATURES, current

NOW = 1_800_000_000.0
W = current()


def cand(i: int, author: int, *, age_h: float = 1.0, in_network: bool = True,
         likes: int = 0, reply: bool = False, show_less: int = 0,
         source: str = "in_network") -> Candidate:
    return Candidate(i, author, NOW - age_h * 3600, source, in_network, reply, likes, 0, 0, 0, 0,
                     show_less, 0, 0.0)


candidates = st.builds(
    Candidate,
    status_id=st.integers(1, 10_000),
    author_id=st.integers(1, 30),
    created_at=st.floats(NOW - 60 * 3600, NOW + 60),
    source=st.sampled_from(SOURCES),
    in_network=st.booleans(),
    is_reply=st.booleans(),
    likes=st.integers(0, 10_000),
    reblogs=st.integers(0, 1_000),
    replies=st.integers(0, 1_000),
    interactions=st.integers(0, 500),
    show_more=st.integers(0, 5),
    show_less=st.integers(0, 5),
    social_proof=st.integers(0, 50),
    community=st.floats(0, 1),
    community_note=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(candidates, max_size=80), st.integers(1, 40))
def test_every_score_is_the_sum_of_its_explained_parts(cs: list[Candidate], limit: int) -> None:
    page = rank(cs, NOW, W, limit)
    assert len(page) == min(limit, len({c.status_id for c in cs
                                        if c.created_at >= NOW - 48 * 3600}))
    for i, item in enumerate(page, 1):
        ex = explanation(item, W, feed="for_you", served_feed_id=1)
        ex = msgspec.json.decode(msgspec.json.encode(ex))  # as a client sees it
        assert ex["rank"] == i
        assert explained_total(ex) == ex["score"]
        total = 0.0
        for f in ex["features"]:
            assert f["contribution"] == f["weight"] * f["value"]
            total += f["contribution"]
        assert total == ex["base_score"]


@settings(max_examples=300, deadline=None)
@given(st.lists(candidates, max_size=40), st.sets(st.sampled_from(ADJUSTMENTS)),
       st.dictionaries(st.sampled_from(FEATURES), st.floats(-100, 100), max_size=3))
def test_ranking_scores_every_candidate_as_its_explanation_does(
        cs: list[Candidate], off: set[str], features: dict[str, float]) -> None:
    # rank orders by `static_scores` and explains with `score_one`: bit for bit the same
    w = W.with_features(features).without(*off)
    fast = static_scores(cs, NOW, w)
    slow = [score_one(c, NOW, w).score for c in cs]
    assert [x.hex() for x in fast] == [x.hex() for x in slow]


def test_author_diversity_formula_and_effect() -> None:
    assert diversity_multiplier(0, W) == 1.0
    assert diversity_multiplier(1, W) == (1 - 0.25) * 0.5 + 0.25
    assert diversity_multiplier(3, W) == (1 - 0.25) * 0.125 + 0.25
    # one prolific author with slightly better posts does not take the whole page
    cs = [cand(i, 1, likes=50) for i in range(1, 6)] + [cand(i, i, likes=30)
                                                         for i in range(10, 15)]
    page = rank(cs, NOW, W, 5)
    assert sum(1 for r in page if r.candidate.author_id == 1) < 5
    off = rank(cs, NOW, W.without("diversity"), 5)
    assert all(r.candidate.author_id == 1 for r in off)


def test_window_discounts_and_fatigue() -> None:
    old = cand(1, 1, age_h=49, likes=1000)
    assert rank([old], NOW, W, 20) == []
    assert len(rank([old], NOW, W.without("window"), 20)) == 1
    base = cand(2, 2)
    for changed, name in ((cand(3, 3, in_network=False, source="community"), "out_of_network"),
                          (cand(4, 4, reply=True), "reply"),
                          (cand(5, 5, show_less=2), "fatigue")):
        [a] = rank([changed], NOW, W, 1)
        [b] = rank([base], NOW, W, 1)
        assert [x.name for x in a.adjustments] == [name]
        assert a.score < a.base or name == "fatigue"  # fatigue also lowers the base feature
        assert a.score < b.score


def test_consecutive_out_of_network_cap() -> None:
    cs = [cand(i, i, in_network=False, likes=100, source="community") for i in range(1, 11)]
    cs += [cand(100 + i, 100 + i) for i in range(3)]
    page = rank(cs, NOW, W, 13)
    run = longest = 0
    for item in page[:12]:
        run = 0 if item.candidate.in_network else run + 1
        longest = max(longest, run)
    assert longest <= 3
    assert any(a.name == "consecutive_cap" for r in page for a in r.adjustments)
    assert len(page) == 13  # with no in-network post left, the cap is lifted


def test_excluded_and_duplicate_candidates_are_skipped() -> None:
    cs = [cand(1, 1), cand(1, 1), cand(2, 2)]
    assert [r.candidate.status_id for r in rank(cs, NOW, W, 5, frozenset({2}))] == [1]


def test_candidate_log_round_trip() -> None:
    c = Candidate(1, 2, NOW, "tags", False, True, 1, 2, 3, 4, 5, 6, 7, 0.5, "en", ("a", "b"))
    row = msgspec.json.decode(msgspec.json.encode(c.to_row()))
    assert Candidate.from_row(row) == c



@settings(max_examples=50, deadline=None)
@given(st.lists(candidates, max_size=30), st.integers(1, 10))
def test_the_log_keeps_every_candidate_and_replays_in_both_formats(cs: list[Candidate],
                                                                   limit: int) -> None:
    page = rank(cs, NOW, W, limit)
    blob = encode_log(feed="for_you", viewer_id=1, now=NOW, limit=limit, weights=W,
                      definition=None, exclude=[], candidates=cs, page=page)
    log = decode_log(blob)
    assert logged_candidates(log) == cs
    cols = logged_columns(log)
    assert cols["status_id"] == [c.status_id for c in cs]
    assert cols["social_proof"] == [c.social_proof for c in cs]
    assert replay(log).identical
    # logs stored as JSON (before MessagePack), and MessagePack in zlib (before LZ4), read
    # the same
    assert blob[:4] == b"\x04\x22\x4d\x18"  # an LZ4 frame
    assert decode_log(zlib.compress(msgspec.json.encode(log))) == log
    assert decode_log(zlib.compress(msgspec.msgpack.encode(log), 1)) == log
    # logs written before the columns: a row per candidate
    old = {**log, "candidates": [c.to_row() for c in cs]}
    old = msgspec.json.decode(msgspec.json.encode(old))
    assert logged_candidates(old) == cs and logged_columns(old)["source"] == [
        c.source for c in cs]
    assert replay(old).identical

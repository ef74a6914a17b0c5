"""Score and order candidates: a weighted sum of features, then the published adjustments.

Every step adds an explained part to the score, so an item's final score is exactly the sum of
the parts its explanation lists (feature contributions, then each adjustment's delta, added
in that order). An adjustment with multiplier m changes a score s by (m - 1) * |s|: a discount
always lowers the score, also when s is negative.

Order of work (all parameters from weights.toml):
1. window: candidates older than `window_hours` are dropped;
2. base score = sum of weight * value over the features (features.py);
3. out-of-network discount, reply discount, "show less" fatigue (fatigue ** times), then
   community notes: a post with a note rated helpful has the positive part of its score
   multiplied by `community_note` (0: never boosted; a negative score is left as it is);
4. the page is filled greedily by score, where an author's k-th post on the page (k = 0, 1,
   ...) is multiplied by (1 - floor) * decay ** k + floor (author diversity), and at most
   `max_consecutive_out_of_network` posts by accounts you do not follow come in a row (a post
   over the cap waits for the next in-network post; when none is left, the cap is lifted).
Ties go to the newer post (higher id). No paid, verified or status boosts exist.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from math import log1p

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.features import FEATURES, feature_values
from townsquare.algorithm.weights import Weights


@dataclass(frozen=True, slots=True)
class Adjustment:
    name: str
    multiplier: float
    delta: float
    why: str


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: Candidate
    values: tuple[float, ...]
    contributions: tuple[float, ...]
    base: float
    adjustments: tuple[Adjustment, ...]
    score: float
    rank: int  # 1-based position on the page


def _adjust(score: float, multiplier: float) -> float:
    return (multiplier - 1.0) * abs(score)


def diversity_multiplier(k: int, w: Weights) -> float:
    floor = w.adjustments["diversity_floor"]
    return (1.0 - floor) * w.adjustments["diversity_decay"] ** k + floor


@dataclass(slots=True)
class _Scored:
    c: Candidate
    values: tuple[float, ...]
    contributions: tuple[float, ...]
    base: float
    adjustments: list[tuple[str, float, float]]
    score: float  # after the static adjustments, before diversity


@dataclass(frozen=True, slots=True)
class _Params:
    """The weights unpacked once per page (the hot loop runs per candidate)."""

    weights: tuple[float, ...]
    out_of_network: float | None  # None: switched off
    reply: float | None
    fatigue: float | None
    community_note: float | None

    @classmethod
    def of(cls, w: Weights) -> _Params:
        a = w.adjustments
        return cls(tuple(w.features[name] for name in FEATURES),
                   a["out_of_network"] if w.on("out_of_network") else None,
                   a["reply"] if w.on("reply") else None,
                   a["fatigue"] if w.on("fatigue") else None,
                   # .get: weights logged before this adjustment existed replay without it
                   a.get("community_note") if w.on("community_note") else None)


def score_one(c: Candidate, now: float, w: Weights, p: _Params | None = None) -> _Scored:
    p = p or _Params.of(w)
    values = feature_values(c, now, w)
    fw = p.weights
    contributions = (fw[0] * values[0], fw[1] * values[1], fw[2] * values[2],
                     fw[3] * values[3], fw[4] * values[4], fw[5] * values[5])
    base = 0.0
    for x in contributions:
        base += x
    score = base
    # (name, multiplier, delta) triples; the page's items get their Adjustment records
    adjustments: list[tuple[str, float, float]] = []
    if not c.in_network and p.out_of_network is not None:
        delta = (p.out_of_network - 1.0) * abs(score)
        adjustments.append(("out_of_network", p.out_of_network, delta))
        score += delta
    if c.is_reply and p.reply is not None:
        delta = (p.reply - 1.0) * abs(score)
        adjustments.append(("reply", p.reply, delta))
        score += delta
    if c.show_less and p.fatigue is not None:
        m = p.fatigue ** c.show_less
        delta = (m - 1.0) * abs(score)
        adjustments.append(("fatigue", m, delta))
        score += delta
    if c.community_note and p.community_note is not None and score > 0:
        delta = (p.community_note - 1.0) * score
        adjustments.append(("community_note", p.community_note, delta))
        score += delta
    return _Scored(c, values, contributions, base, adjustments, score)


def _why(name: str, c: Candidate) -> str:
    if name == "out_of_network":
        return "you do not follow the author"
    if name == "reply":
        return "it is a reply"
    if name == "community_note":
        return "a community note rated helpful is attached: the post is never boosted"
    return f'you said "show less" about this author {c.show_less} time(s)'


def static_scores(candidates: list[Candidate], now: float, w: Weights,
                  p: _Params | None = None) -> list[float]:
    """Each candidate's score after the static adjustments: `score_one(c, ...).score`,
    computed with the very same operations in the same order (so bit for bit the same),
    without building the parts. Ranking scores every candidate but explains only the page;
    tests/algorithm/test_scoring.py checks the two agree, and `rank` checks every item it
    serves."""
    p = p or _Params.of(w)
    pw = w.params
    eh, rh = pw["engagement_half_life_hours"], pw["recency_half_life_hours"]
    smi = pw["show_more_interactions"]
    w0, w1, w2, w3, w4, w5 = p.weights
    oon, reply, fatigue, note = p.out_of_network, p.reply, p.fatigue, p.community_note
    out: list[float] = []
    append = out.append
    for c in candidates:
        # feature_values (features.py)
        age_hours = max(0.0, (now - c.created_at) / 3600.0)
        interactions, show_more, show_less = c.interactions, c.show_more, c.show_less
        base = 0.0
        base += w0 * (log1p(c.likes + 2 * c.reblogs + c.replies) * 0.5 ** (age_hours / eh))
        base += w1 * (log1p(interactions + smi * show_more)
                      if interactions or show_more else 0.0)
        base += w2 * (log1p(c.social_proof) if c.social_proof else 0.0)
        base += w3 * c.community
        base += w4 * 0.5 ** (age_hours / rh)
        base += w5 * (log1p(show_less) if show_less else 0.0)
        score = base
        # the static adjustments (score_one)
        if oon is not None and not c.in_network:
            score += (oon - 1.0) * abs(score)
        if reply is not None and c.is_reply:
            score += (reply - 1.0) * abs(score)
        if fatigue is not None and show_less:
            score += (fatigue ** show_less - 1.0) * abs(score)
        if note is not None and c.community_note and score > 0:
            score += (note - 1.0) * score
        append(score)
    return out


def rank(candidates: list[Candidate], now: float, w: Weights, limit: int,
         exclude: frozenset[int] = frozenset()) -> list[Ranked]:
    """The page of at most `limit` items, in order, each with all its parts."""
    horizon = now - w.adjustments["window_hours"] * 3600.0
    params = _Params.of(w)
    seen: set[int] = set()
    window = w.on("window")
    kept: list[Candidate] = []
    for c in candidates:
        if c.status_id in exclude or c.status_id in seen:
            continue
        if window and c.created_at < horizon:
            continue
        seen.add(c.status_id)
        kept.append(c)
    scores = static_scores(kept, now, w, params)

    diversity = w.on("diversity")
    cap_on = w.on("consecutive_cap")
    cap = int(w.adjustments["max_consecutive_out_of_network"])
    per_author: dict[int, int] = {}
    # Lazy greedy: an entry's score was computed for its author's count at push time; when
    # that count has grown, it is recomputed and pushed back.
    heap = [(-s, -c.status_id, i, 0) for i, (c, s) in enumerate(zip(kept, scores, strict=True))]
    heapq.heapify(heap)
    waiting: list[tuple[float, int, int, int]] = []
    out: list[Ranked] = []
    run = 0  # consecutive out-of-network posts at the end of the page
    capped_ids: set[int] = set()
    while len(out) < limit and (heap or waiting):
        if not heap:  # only capped posts are left: lift the cap
            heap, waiting, cap_on = waiting, [], False
            heapq.heapify(heap)
        neg, tie, i, k_at = heapq.heappop(heap)
        c = kept[i]
        static = scores[i]
        k = per_author.get(c.author_id, 0) if diversity else 0
        if k != k_at:
            m = diversity_multiplier(k, w)
            heapq.heappush(heap, (-(static + _adjust(static, m)), tie, i, k))
            continue
        if cap_on and not c.in_network and run >= cap:
            waiting.append((neg, tie, i, k_at))
            capped_ids.add(c.status_id)
            continue
        s = score_one(c, now, w, params)  # the parts, for the items served only
        if s.score != static:
            raise AssertionError(f"scores disagree for {c.status_id}: {s.score!r} {static!r}")
        adjustments = [Adjustment(n, m, d, _why(n, c)) for n, m, d in s.adjustments]
        score = s.score
        if k > 0:
            m = diversity_multiplier(k, w)
            delta = _adjust(score, m)
            adjustments.append(Adjustment("diversity", m, delta,
                                          f"post number {k + 1} by this author on the page"))
            score += delta
        if c.status_id in capped_ids:
            adjustments.append(Adjustment(
                "consecutive_cap", 1.0, 0.0,
                f"moved down: at most {cap} posts from outside your follows in a row"))
        out.append(Ranked(c, s.values, s.contributions, s.base, tuple(adjustments), score,
                          len(out) + 1))
        per_author[c.author_id] = per_author.get(c.author_id, 0) + 1
        run = 0 if c.in_network else run + 1
        if c.in_network and waiting:
            for item in waiting:
                heapq.heappush(heap, item)
            waiting = []
    return out

"""Explanations: what a ranked item's `townsquare` key says, and the public description of
the algorithm that the API and the web page show. Both are built from the same objects the
ranking used, so they cannot disagree with it."""

from __future__ import annotations

from typing import Any

from townsquare.algorithm.features import FEATURES
from townsquare.algorithm.scoring import Ranked
from townsquare.algorithm.weights import Weights, current

SOURCE_WORDS = {
    "in_network": "posted by someone you follow",
    "social_proof": "liked or reposted by several people you follow",
    "community": "popular in a community your follows place you in",
    "tags": "has a hashtag this feed follows",
}

FEATURE_WORDS = {
    "engagement": "likes, reposts (counted twice) and replies, on a log scale, halving every "
                  "engagement_half_life_hours",
    "affinity": "how often you liked, reposted or replied to the author (plus \"show more\")",
    "social_proof": "how many people you follow liked or reposted it, on a log scale",
    "community": "how much your interests overlap the author's community (0 to 1)",
    "recency": "1 for a brand-new post, halving every recency_half_life_hours",
    "negative_feedback": "how often you said \"show less\" about the author, on a log scale",
}

ADJUSTMENT_WORDS = {
    "window": "only posts from the last window_hours are considered",
    "out_of_network": "posts by accounts you do not follow are multiplied by out_of_network",
    "reply": "replies are multiplied by reply",
    "fatigue": "each \"show less\" about an author multiplies their posts by fatigue",
    "diversity": "an author's k-th post on a page (k = 0, 1, ...) is multiplied by "
                 "(1 - diversity_floor) * diversity_decay^k + diversity_floor",
    "consecutive_cap": "at most max_consecutive_out_of_network posts from outside your "
                       "follows come in a row",
    "community_note": "a post with a community note rated helpful is never boosted: the "
                      "positive part of its score is multiplied by community_note (0)",
}


def explanation(item: Ranked, w: Weights, *, feed: str,
                served_feed_id: int | None) -> dict[str, Any]:
    """The `townsquare` key of a ranked status: score = sum(contributions) + sum(deltas)."""
    return {
        "feed": feed,
        "served_feed_id": str(served_feed_id) if served_feed_id is not None else None,
        "weights_version": w.version,
        "rank": item.rank,
        "source": item.candidate.source,
        "source_description": SOURCE_WORDS.get(item.candidate.source, item.candidate.source),
        "features": [
            {"name": name, "value": value, "weight": w.features[name], "contribution": contrib}
            for name, value, contrib in zip(FEATURES, item.values, item.contributions,
                                            strict=True)
        ],
        "base_score": item.base,
        "adjustments": [
            {"name": a.name, "multiplier": a.multiplier, "delta": a.delta, "why": a.why}
            for a in item.adjustments
        ],
        "score": item.score,
    }


def explained_total(ex: dict[str, Any]) -> float:
    """Adds up an explanation's parts in the order the ranking added them."""
    total = 0.0
    for f in ex["features"]:
        total += f["contribution"]
    for a in ex["adjustments"]:
        total += a["delta"]
    return total


def public_description(w: Weights | None = None) -> dict[str, Any]:
    """Plain-words description with the live numbers and the change log (for the web page
    and GET /api/v1/townsquare/algorithm)."""
    w = w or current()
    return {
        "version": w.version,
        "digest": w.digest(),
        "summary": (
            "For you gathers recent posts from the people you follow, posts several of them "
            "liked or reposted, and posts popular in the communities your follows place you "
            "in. Each post gets a score: a weighted sum of six features. Published "
            "adjustments then lower some scores (posts from outside your follows, replies, "
            "authors you asked to see less of, several posts by one author). Nothing can pay "
            "or be verified into a higher score. Every post shows its score and how it was "
            "computed, and any served feed can be recomputed exactly with "
            "`townsquare algorithm replay`."
        ),
        "sources": [{"name": k, "description": v} for k, v in SOURCE_WORDS.items()],
        "features": [{"name": k, "weight": w.features[k], "description": FEATURE_WORDS[k]}
                     for k in FEATURES],
        "parameters": dict(w.params),
        "adjustments": [{"name": k, "description": v} for k, v in ADJUSTMENT_WORDS.items()],
        "adjustment_parameters": dict(w.adjustments),
        "candidates": dict(w.candidates),
        "communities": {
            "description": "A batch job groups accounts with many followers by who follows "
                           "them (similar follower sets, label propagation), and gives each "
                           "person interests from whom they follow.",
            **w.communities,
        },
        "feeds": {
            "following": "your follows, newest first, no ranking (Mastodon apps' home)",
            "for_you": "the ranking described here",
            "custom": "anyone's published definition: sources, filters and weight overrides",
        },
        "no_boosts": "There are no paid, verified or status boosts of any kind.",
        "changelog": w.changelog,
        "source_code": "src/townsquare/algorithm/",
    }

"""Feature values of a candidate: plain, documented formulas over its raw signals.

Each value is a number the explanation shows next to its weight. Weights and half-lives come
from weights.toml; `now` is passed in, never read from a clock here.
"""

from __future__ import annotations

from math import log1p

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.weights import FEATURES, Weights

__all__ = ["FEATURES", "feature_values"]


def feature_values(c: Candidate, now: float, w: Weights) -> tuple[float, ...]:
    """Values in the order of FEATURES."""
    age_hours = max(0.0, (now - c.created_at) / 3600.0)
    p = w.params
    engagement = log1p(c.likes + 2 * c.reblogs + c.replies) * \
        0.5 ** (age_hours / p["engagement_half_life_hours"])
    affinity = log1p(c.interactions + p["show_more_interactions"] * c.show_more) \
        if c.interactions or c.show_more else 0.0
    social_proof = log1p(c.social_proof) if c.social_proof else 0.0
    recency = 0.5 ** (age_hours / p["recency_half_life_hours"])
    negative = log1p(c.show_less) if c.show_less else 0.0
    return (engagement, affinity, social_proof, c.community, recency, negative)

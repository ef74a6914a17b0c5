"""Feature values of a candidate: plain, documented formulas over its raw signals.

Each value is a number the explanation shows next to its weight. Weights and half-lives come
from weights.toml; `now` is passed in, never read from a clock here.
"""

from __future__ import annotations

import math

from townsquare.algorithm.candidate import Candidate
from townsquare.algorithm.weights import FEATURES, Weights

__all__ = ["FEATURES", "feature_values"]


def feature_values(c: Candidate, now: float, w: Weights) -> tuple[float, ...]:
    """Values in the order of FEATURES."""
    age_hours = max(0.0, (now - c.created_at) / 3600.0)
    p = w.params
    engagement = math.log1p(c.likes + 2 * c.reblogs + c.replies) * \
        0.5 ** (age_hours / p["engagement_half_life_hours"])
    affinity = math.log1p(c.interactions + p["show_more_interactions"] * c.show_more)
    social_proof = math.log1p(c.social_proof)
    recency = 0.5 ** (age_hours / p["recency_half_life_hours"])
    negative = math.log1p(c.show_less)
    return (engagement, affinity, social_proof, c.community, recency, negative)

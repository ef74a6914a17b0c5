"""Feeds people choose: Following (chronological), For you (ranked), and custom feeds.

A custom feed is a short declarative definition (JSON):

    {"sources": ["in_network", "tags"], "tags": ["python"], "languages": ["en"],
     "min_engagement": 2, "replies": false, "weights": {"recency": 3.0}}

- sources: where candidates come from (candidates.py): in_network, social_proof, community,
  tags (recent public posts with one of `tags`);
- filters: tags (a post must carry one of them), languages, min_engagement (likes + reposts +
  replies), replies (false drops replies);
- weights: overrides of the published feature weights (weights.toml [features]).
Everything else (adjustments, window, opt-outs, blocks) is the same for every feed.
"""

from __future__ import annotations

from typing import Any

import msgspec

from townsquare.algorithm.candidate import SOURCES, Candidate
from townsquare.algorithm.weights import FEATURES, Weights

FOLLOWING = "following"
FOR_YOU = "for_you"
BUILT_IN = (FOLLOWING, FOR_YOU)
MAX_TAGS = 20
MAX_WEIGHT = 100.0


class FeedDefinition(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    sources: list[str] = msgspec.field(
        default_factory=lambda: ["in_network", "social_proof", "community"])
    tags: list[str] = []
    languages: list[str] = []
    min_engagement: int = 0
    replies: bool = True
    weights: dict[str, float] = {}


FOR_YOU_DEFINITION = FeedDefinition()


def parse_definition(raw: Any) -> FeedDefinition:
    """A valid definition, or ValueError saying what is wrong."""
    if isinstance(raw, str):
        try:
            raw = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise ValueError(f"definition is not JSON: {exc}") from None
    try:
        d = msgspec.convert(raw, FeedDefinition)
    except msgspec.ValidationError as exc:
        raise ValueError(f"definition: {exc}") from None
    if not d.sources:
        raise ValueError("definition: sources must name at least one source")
    bad = [s for s in d.sources if s not in SOURCES]
    if bad:
        raise ValueError(f"definition: unknown sources {bad} (known: {list(SOURCES)})")
    if "tags" in d.sources and not d.tags:
        raise ValueError("definition: the tags source needs at least one tag")
    if len(d.tags) > MAX_TAGS or any(not t.strip().lstrip("#") or len(t) > 100 for t in d.tags):
        raise ValueError(f"definition: at most {MAX_TAGS} non-empty tags")
    if d.min_engagement < 0:
        raise ValueError("definition: min_engagement must be 0 or more")
    bad = [k for k in d.weights if k not in FEATURES]
    if bad:
        raise ValueError(f"definition: unknown weights {bad} (known: {list(FEATURES)})")
    if any(not abs(v) <= MAX_WEIGHT for v in d.weights.values()):
        raise ValueError(f"definition: weights must lie between -{MAX_WEIGHT} and {MAX_WEIGHT}")
    d.tags = sorted({t.strip().lstrip("#").lower() for t in d.tags})
    d.languages = sorted({x.strip().lower() for x in d.languages if x.strip()})
    d.sources = [s for s in SOURCES if s in d.sources]
    return d


def definition_dict(d: FeedDefinition) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(d)
    return out


def weights_for(d: FeedDefinition, w: Weights) -> Weights:
    return w.with_features(d.weights) if d.weights else w


def filters(d: FeedDefinition) -> bool:
    """The definition filters candidates at all (For you does not)."""
    return bool(d.tags or d.languages or d.min_engagement > 0 or not d.replies)


def keep(c: Candidate, d: FeedDefinition) -> bool:
    """The definition's filters."""
    if d.tags and not set(c.tags) & set(d.tags):
        return False
    if d.languages and (c.language or "").lower() not in d.languages:
        return False
    if c.likes + c.reblogs + c.replies < d.min_engagement:
        return False
    return d.replies or not c.is_reply

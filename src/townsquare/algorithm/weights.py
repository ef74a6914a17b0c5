"""The published parameters (weights.toml) as a typed, immutable object.

The file is the single source of every number the ranking uses. A served feed logs the full
snapshot (`to_dict`) with its version, so a replay ranks with exactly the same numbers even
after the file has changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

WEIGHTS_FILE = Path(__file__).with_name("weights.toml")
FEATURES = ("engagement", "affinity", "social_proof", "community", "recency",
            "negative_feedback")
ADJUSTMENTS = ("out_of_network", "reply", "fatigue", "diversity", "consecutive_cap",
               "community_note")


@dataclass(frozen=True)
class Weights:
    version: int
    features: dict[str, float]
    params: dict[str, float]
    adjustments: dict[str, float]
    candidates: dict[str, int]
    communities: dict[str, int]
    changelog: list[dict[str, Any]] = field(default_factory=list)
    disabled: frozenset[str] = frozenset()  # adjustments switched off (evaluation, custom feeds)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Weights:
        feats = dict(d["features"])
        params = feats.pop("params", {})
        missing = [f for f in FEATURES if f not in feats]
        if missing:
            raise ValueError(f"weights: missing feature weights {missing}")
        return cls(
            version=int(d["version"]),
            features={k: float(feats[k]) for k in FEATURES},
            params={k: float(v) for k, v in params.items()},
            adjustments={k: float(v) for k, v in d["adjustments"].items()},
            candidates={k: int(v) for k, v in d["candidates"].items()},
            communities={k: int(v) for k, v in d["communities"].items()},
            changelog=list(d.get("changelog", [])),
            disabled=frozenset(d.get("disabled", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": {**self.features, "params": dict(self.params)},
            "adjustments": dict(self.adjustments),
            "candidates": dict(self.candidates),
            "communities": dict(self.communities),
            "changelog": copy.deepcopy(self.changelog),
            "disabled": sorted(self.disabled),
        }

    def digest(self) -> str:
        """A short fingerprint of the numbers (not the change log), logged with served feeds."""
        return self._digest

    @cached_property
    def _digest(self) -> str:  # worked out once per Weights (every served page logs it)
        d = self.to_dict()
        d.pop("changelog")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    @cached_property
    def snapshot(self) -> dict[str, Any]:
        """`to_dict()` made once, for the served-feed log (not to be changed)."""
        return self.to_dict()

    def with_features(self, overrides: dict[str, float]) -> Weights:
        unknown = set(overrides) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        d = self.to_dict()
        d["features"].update({k: float(v) for k, v in overrides.items()})
        return Weights.from_dict(d)

    def without(self, *adjustments: str) -> Weights:
        unknown = set(adjustments) - set(ADJUSTMENTS) - {"window"}
        if unknown:
            raise ValueError(f"unknown adjustments {sorted(unknown)}")
        d = self.to_dict()
        d["disabled"] = sorted(self.disabled | set(adjustments))
        return Weights.from_dict(d)

    def on(self, adjustment: str) -> bool:
        return adjustment not in self.disabled


def parse(text: str) -> Weights:
    return Weights.from_dict(tomllib.loads(text))


@lru_cache(maxsize=1)
def current() -> Weights:
    """The live weights (read once per process)."""
    return parse(WEIGHTS_FILE.read_text())


def published_text() -> str:
    return WEIGHTS_FILE.read_text()

"""Deterministic synthetic notes and ratings: two opposed camps of raters, neutral raters, a few
contrarians, and notes of several kinds.  Used by the tests and by bench/notes_scorer.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c
from townsquare.notes.frames import NotesFrame, RatingsFrame

# Note kinds
GOOD = 0  # both camps find it helpful
PARTISAN_LEFT = 1  # only the left camp finds it helpful
PARTISAN_RIGHT = 2
BAD = 3  # both camps reject it
MEDIOCRE = 4  # lukewarm everywhere
KIND_QUALITY = np.array([0.75, 0.05, 0.05, -0.55, 0.2])
KIND_SLANT = np.array([0.0, -0.8, 0.8, 0.0, 0.0])
KIND_SHARE = np.array([0.3, 0.2, 0.2, 0.2, 0.1])

# Rater camps
LEFT = -1
NEUTRAL = 0
RIGHT = 1

BASE_MILLIS = 1_700_000_000_000  # 2023-11-14: after every published launch date


@dataclass
class SyntheticData:
    notes: NotesFrame
    ratings: RatingsFrame
    note_kind: NDArray[np.int64]
    rater_camp: NDArray[np.int64]  # indexed by rater id
    rater_contrarian: NDArray[np.bool_]  # indexed by rater id


def generate(
    n_ratings: int,
    seed: int = 0,
    ratings_per_note: int = 40,
    ratings_per_rater: int = 40,
    contrarian_share: float = 0.03,
    noise: float = 0.2,
    not_misleading_share: float = 0.05,
) -> SyntheticData:
    """About n_ratings ratings (duplicated note-rater pairs are dropped)."""
    rng = np.random.default_rng(seed)
    n_notes = max(1, n_ratings // ratings_per_note)
    n_raters = max(1, n_ratings // ratings_per_rater)

    camp = rng.choice(np.array([LEFT, RIGHT, NEUTRAL]), size=n_raters, p=[0.4, 0.4, 0.2])
    contrarian = rng.random(n_raters) < contrarian_share
    rater_factor = camp * rng.uniform(0.7, 1.0, n_raters)
    rater_bias = rng.normal(0.0, 0.05, n_raters)

    kind = rng.choice(len(KIND_SHARE), size=n_notes, p=KIND_SHARE)
    quality = KIND_QUALITY[kind] + rng.normal(0.0, 0.05, n_notes)
    slant = KIND_SLANT[kind]
    note_created = BASE_MILLIS + np.sort(rng.integers(0, 30 * 86_400_000, n_notes))
    classification = np.where(
        rng.random(n_notes) < not_misleading_share, c.CLASS_NOT_MISLEADING, c.CLASS_MISLEADING
    ).astype(np.int8)
    author = rng.integers(0, n_raters, n_notes)

    # Rating pairs: notes get ratings_per_note on average, raters are drawn uniformly.
    note = rng.integers(0, n_notes, n_ratings)
    rater = rng.integers(0, n_raters, n_ratings)
    pair = np.unique(note.astype(np.int64) * n_raters + rater)
    note, rater = pair // n_raters, pair % n_raters

    consensus = 0.15 + quality[note] + rater_bias[rater]
    score = consensus + rater_factor[rater] * slant[note] + rng.normal(0.0, noise, len(note))
    # Contrarians answer the opposite of what an unbiased rater would.
    score = np.where(contrarian[rater], 0.45 - (consensus - 0.45), score)
    helpful_num = np.where(score > 0.6, 1.0, np.where(score < 0.3, 0.0, 0.5))

    n = len(note)
    created = note_created[note] + rng.integers(60_000, 40 * 3_600_000, n)
    # Tags: each note has a favourite pair of helpful and of not-helpful tags that raters use.
    nh, nnh = len(c.HELPFUL_TAGS), len(c.NOT_HELPFUL_TAGS)
    first_h = rng.integers(0, nh, n_notes)
    note_h = np.stack([first_h, (first_h + rng.integers(1, nh, n_notes)) % nh], axis=1)
    first_nh = rng.integers(0, nnh, n_notes)
    note_nh = np.stack([first_nh, (first_nh + rng.integers(1, nnh, n_notes)) % nnh], axis=1)
    rows = np.arange(n)
    helpful_tags = np.zeros((n, len(c.HELPFUL_TAGS)), dtype=np.bool_)
    not_helpful_tags = np.zeros((n, len(c.NOT_HELPFUL_TAGS)), dtype=np.bool_)
    is_h = helpful_num == 1.0
    is_nh = helpful_num == 0.0
    helpful_tags[rows, note_h[note, 0]] = is_h & (rng.random(n) < 0.7)
    helpful_tags[rows, note_h[note, 1]] |= is_h & (rng.random(n) < 0.5)
    not_helpful_tags[rows, note_nh[note, 0]] = is_nh & (rng.random(n) < 0.7)
    not_helpful_tags[rows, note_nh[note, 1]] |= is_nh & (rng.random(n) < 0.5)

    note_ids = np.arange(n_notes, dtype=np.int64) + 1_000_000
    notes = NotesFrame(
        note_id=note_ids,
        author_id=author.astype(np.int64),
        created_at_millis=note_created.astype(np.int64),
        classification=classification,
    )
    ratings = RatingsFrame(
        note_id=note_ids[note],
        rater_id=rater.astype(np.int64),
        created_at_millis=created.astype(np.int64),
        helpful_num=helpful_num,
        helpful_tags=helpful_tags,
        not_helpful_tags=not_helpful_tags,
    )
    return SyntheticData(notes, ratings, kind.astype(np.int64), camp.astype(np.int64), contrarian)

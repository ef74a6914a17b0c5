"""A small, fully determined world: two opposed camps of raters, neutral raters and contrarians
who always answer against the consensus, rating background notes and three target notes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from townsquare.notes import constants as c
from townsquare.notes.frames import NotesFrame, RatingsFrame

DAY = 86_400_000
T0 = 1_700_000_000_000  # after every published launch date
NOW = T0 + 5 * DAY  # notes are days old: none is locked yet

LEFT, RIGHT, NEUTRAL, CONTRARIAN = 0, 1, 2, 3
# How each group answers each kind of note (1 helpful, 0.5 somewhat, 0 not helpful).
BOTH_LIKE, LEFT_LIKES, RIGHT_LIKES, BOTH_REJECT = 0, 1, 2, 3
ANSWERS = {
    BOTH_LIKE: {LEFT: 1.0, RIGHT: 1.0, NEUTRAL: 1.0, CONTRARIAN: 0.0},
    LEFT_LIKES: {LEFT: 1.0, RIGHT: 0.0, NEUTRAL: 0.5, CONTRARIAN: 0.5},
    RIGHT_LIKES: {LEFT: 0.0, RIGHT: 1.0, NEUTRAL: 0.5, CONTRARIAN: 0.5},
    BOTH_REJECT: {LEFT: 0.0, RIGHT: 0.0, NEUTRAL: 0.0, CONTRARIAN: 1.0},
}


@dataclass
class World:
    notes: NotesFrame
    ratings: RatingsFrame
    group: np.ndarray  # indexed by rater id
    target: dict[str, int]  # name -> note id


def build_world(seed: int = 7) -> World:
    rng = np.random.default_rng(seed)
    group = np.array([LEFT] * 24 + [RIGHT] * 24 + [NEUTRAL] * 10 + [CONTRARIAN] * 4)
    n_raters = len(group)
    # 48 background notes of each kind rated by a random 60% of raters, then 3 target notes
    # rated by everyone.
    kinds = np.repeat([BOTH_LIKE, LEFT_LIKES, RIGHT_LIKES, BOTH_REJECT], 12)
    kinds = np.concatenate([kinds, [BOTH_LIKE, LEFT_LIKES, BOTH_REJECT]])
    n_notes = len(kinds)
    note_ids = np.arange(n_notes, dtype=np.int64) + 500
    created = T0 + np.arange(n_notes, dtype=np.int64) * 3_600_000
    rows: list[tuple[int, int, float]] = []
    for k in range(n_notes):
        everyone = k >= n_notes - 3
        for r in range(n_raters):
            if everyone or rng.random() < 0.6:
                rows.append((k, r, ANSWERS[int(kinds[k])][int(group[r])]))
    note_idx = np.array([row[0] for row in rows])
    rater = np.array([row[1] for row in rows], dtype=np.int64)
    y = np.array([row[2] for row in rows])
    n = len(rows)
    helpful_tags = np.zeros((n, len(c.HELPFUL_TAGS)), dtype=np.bool_)
    not_helpful_tags = np.zeros((n, len(c.NOT_HELPFUL_TAGS)), dtype=np.bool_)
    helpful_tags[y == 1.0, c.HELPFUL_TAGS.index("helpfulGoodSources")] = True
    helpful_tags[y == 1.0, c.HELPFUL_TAGS.index("helpfulClear")] = True
    not_helpful_tags[y == 0.0, c.NOT_HELPFUL_TAGS.index("notHelpfulIncorrect")] = True
    not_helpful_tags[y == 0.0, c.NOT_HELPFUL_TAGS.index("notHelpfulOffTopic")] = True
    notes = NotesFrame(
        note_id=note_ids,
        author_id=(np.arange(n_notes) % 20).astype(np.int64) + 1000,  # authors who do not rate
        created_at_millis=created,
        classification=np.full(n_notes, c.CLASS_MISLEADING, dtype=np.int8),
    )
    ratings = RatingsFrame(
        note_id=note_ids[note_idx],
        rater_id=rater,
        created_at_millis=created[note_idx] + 60_000 + rater * 1000,
        helpful_num=y,
        helpful_tags=helpful_tags,
        not_helpful_tags=not_helpful_tags,
    )
    target = {
        "both_like": int(note_ids[-3]),
        "left_likes": int(note_ids[-2]),
        "both_reject": int(note_ids[-1]),
    }
    return World(notes, ratings, group, target)

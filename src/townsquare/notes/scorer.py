"""score(): the published core scorer's pipeline over NumPy arrays.

1. preprocess ratings (latest rating per note and rater, drop unanswered ones and ratings on
   unknown notes or on "not misleading" notes from before that option existed);
2. first fit on raters with >= 10 ratings and notes with >= 5;
3. first-round statuses -> helpfulness scores -> raters who keep their say;
4. second fit, notes with >= 5 ratings, ratings of the kept raters only, started from the first;
5. final core rules (with the sticky CRH rule and the large-factor filter), then the meta rules
   (locked status wins, CRH/CRNH need two tags), then the next noteStatusHistory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c
from townsquare.notes import factorize, helpfulness, history, rules
from townsquare.notes.frames import (
    EnrollmentFrame,
    NotesFrame,
    RaterScores,
    RatingsFrame,
    ScoredNotes,
    StatusHistoryFrame,
)

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
Bool = NDArray[np.bool_]
Progress = Callable[[str], None]


@dataclass
class RoundReport:
    ratings: int
    notes: int
    raters: int
    sweeps: int
    loss: float
    train_mse: float
    converged: bool


@dataclass
class ScoreReport:
    ratings_in: int
    ratings_used: int
    first_round: RoundReport | None = None
    second_round: RoundReport | None = None
    raters_kept: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class ScoreResult:
    notes: ScoredNotes
    raters: RaterScores
    history: StatusHistoryFrame
    report: ScoreReport


class _Timer:
    """Records each phase's wall time in the report and tells `progress` about it."""

    def __init__(self, report: ScoreReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress
        self.start = self.last = time.perf_counter()

    def lap(self, phase: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.report.seconds[phase] = now - self.last
        if self.progress is not None:
            self.progress(f"{phase}: {now - self.last:.2f} s{detail}")
        self.last = now


@dataclass
class _Prepared:
    """The note table (every note in notes or the previous history) and the clean ratings."""

    note_ids: I64
    author: I64  # index into participants
    participants: I64
    created: I64
    classification: I8
    num_ratings: I64
    history: StatusHistoryFrame  # previous history aligned to note_ids
    helpful_tag_counts: I64
    not_helpful_tag_counts: I64
    note: I64  # per rating: index into note_ids
    rater: I64  # per rating: index into participants
    y: F64
    created_rating: I64
    valid: Bool  # per rating: made early enough to count for rater helpfulness


def _compact(values: I64, universe: I64) -> I64:
    """Position of each value in the sorted unique array `universe`."""
    return np.searchsorted(universe, values).astype(np.int64)


def _filter_counts(note: I64, rater: I64, min_rater: int, min_note: int) -> Bool:
    """published filter_ratings: notes, then raters, then notes again (no iteration)."""
    keep = np.ones(len(note), dtype=np.bool_)
    for step in ("note", "rater", "note"):
        idx, minimum = (note, min_note) if step == "note" else (rater, min_rater)
        counts = np.bincount(idx[keep], minlength=int(idx.max(initial=-1)) + 1)
        keep &= counts[idx] >= minimum
    return keep


def _fit_round(
    note: I64,
    rater: I64,
    y: F64,
    n_notes: int,
    n_participants: int,
    rng: np.random.Generator,
    config: factorize.FitConfig,
    init: tuple[F64, F64, F64, F64, float] | None,
) -> tuple[F64, F64, F64, F64, float, RoundReport]:
    """Fit on compacted indices; return parameters spread over all notes / participants (NaN
    where absent) and a report."""
    notes_in, note_c = np.unique(note, return_inverse=True)
    raters_in, rater_c = np.unique(rater, return_inverse=True)
    start = None
    if init is not None:
        ni, nf, ri, rf, mu = init
        start = factorize.FitInit(ni[notes_in], nf[notes_in], ri[raters_in], rf[raters_in], mu)
    res = factorize.fit(note_c, rater_c, y, len(notes_in), len(raters_in), rng, config, start)
    note_i = np.full(n_notes, np.nan)
    note_f = np.full(n_notes, np.nan)
    rater_i = np.full(n_participants, np.nan)
    rater_f = np.full(n_participants, np.nan)
    note_i[notes_in] = res.note_intercept
    note_f[notes_in] = res.note_factor
    rater_i[raters_in] = res.rater_intercept
    rater_f[raters_in] = res.rater_factor
    report = RoundReport(
        len(y), len(notes_in), len(raters_in), res.sweeps, res.loss, res.train_mse, res.converged
    )
    return note_i, note_f, rater_i, rater_f, res.global_intercept, report


def _status_codes(values: I8, present: Bool) -> I8:
    return np.where(present, values, c.STATUS_NONE).astype(np.int8)


def _align_history(prev: StatusHistoryFrame, note_ids: I64) -> StatusHistoryFrame:
    """previous noteStatusHistory rearranged to one row per entry of note_ids (sorted)."""
    n = len(note_ids)
    pos = _compact(prev.note_id, note_ids)

    def spread_f(values: F64) -> F64:
        out = np.full(n, np.nan)
        out[pos] = values
        return out

    def spread_s(values: I8) -> I8:
        out = np.full(n, c.STATUS_NONE, dtype=np.int8)
        out[pos] = values
        return out

    decided = np.full(n, None, dtype=object)
    decided[pos] = prev.current_decided_by
    author = np.zeros(n, dtype=np.int64)
    author[pos] = prev.author_id
    created = np.zeros(n, dtype=np.int64)
    created[pos] = prev.created_at_millis
    return StatusHistoryFrame(
        note_id=note_ids,
        author_id=author,
        created_at_millis=created,
        first_non_nmr_millis=spread_f(prev.first_non_nmr_millis),
        first_non_nmr_status=spread_s(prev.first_non_nmr_status),
        current_status_millis=spread_f(prev.current_status_millis),
        current_status=spread_s(prev.current_status),
        most_recent_non_nmr_millis=spread_f(prev.most_recent_non_nmr_millis),
        most_recent_non_nmr_status=spread_s(prev.most_recent_non_nmr_status),
        lock_millis=spread_f(prev.lock_millis),
        locked_status=spread_s(prev.locked_status),
        retro_lock_millis=spread_f(prev.retro_lock_millis),
        current_core_status=spread_s(prev.current_core_status),
        current_decided_by=decided,
    )


def _prepare(notes: NotesFrame, ratings: RatingsFrame, prev: StatusHistoryFrame) -> _Prepared:
    note_ids = np.unique(np.concatenate([notes.note_id, prev.note_id]))
    n_notes = len(note_ids)
    aligned = _align_history(prev, note_ids)
    in_prev = np.zeros(n_notes, dtype=np.bool_)
    in_prev[_compact(prev.note_id, note_ids)] = True
    note_pos = _compact(notes.note_id, note_ids)
    classification = np.full(n_notes, c.CLASS_UNKNOWN, dtype=np.int8)  # deleted notes
    classification[note_pos] = notes.classification
    # The history wins for notes it knows (published merge_note_info), notes for new ones.
    created = aligned.created_at_millis.copy()
    author_raw = aligned.author_id.copy()
    fresh = ~in_prev[note_pos]
    created[note_pos[fresh]] = notes.created_at_millis[fresh]
    author_raw[note_pos[fresh]] = notes.author_id[fresh]

    # Ratings on notes nobody knows about are dropped, as are unanswered ones.
    r_note = np.minimum(np.searchsorted(note_ids, ratings.note_id), max(n_notes - 1, 0))
    keep = ~np.isnan(ratings.helpful_num)
    keep &= note_ids[r_note] == ratings.note_id if n_notes else False
    # Ratings of "not misleading" notes written before raters could answer that question.
    keep &= ~(
        (classification[r_note] == c.CLASS_NOT_MISLEADING)
        & (created[r_note] <= c.NOT_MISLEADING_UI_LAUNCH_MILLIS)
    )
    rows = np.flatnonzero(keep)
    participants = np.unique(np.concatenate([ratings.rater_id[rows], author_raw]))
    n_part = len(participants)
    rater = _compact(ratings.rater_id[rows], participants)
    note = r_note[rows].astype(np.int64)
    # One rating per (note, rater): the latest wins (the published scorer asserts uniqueness;
    # townsquare lets people change their rating).  Sort only when there are duplicates.
    pair = note * n_part + rater
    order = np.argsort(pair, kind="stable")
    dup = pair[order][1:] == pair[order][:-1]
    if dup.any():
        order = np.lexsort((ratings.created_at_millis[rows], pair))
        last_of_pair = np.r_[pair[order][1:] != pair[order][:-1], True]
        pick = np.sort(order[last_of_pair])
        rows, note, rater = rows[pick], note[pick], rater[pick]

    num_ratings = np.bincount(note, minlength=n_notes).astype(np.int64)

    def tag_counts(tags: Bool) -> I64:
        picked = tags[rows]
        return np.stack(
            [np.bincount(note, picked[:, k], n_notes) for k in range(tags.shape[1])], axis=1
        ).astype(np.int64)

    rating_created = ratings.created_at_millis[rows]
    valid = helpfulness.ratings_before_status(
        note, rating_created, created, aligned.most_recent_non_nmr_millis
    )
    return _Prepared(
        note_ids=note_ids,
        author=_compact(author_raw, participants),
        participants=participants,
        created=created,
        classification=classification,
        num_ratings=num_ratings,
        history=aligned,
        helpful_tag_counts=tag_counts(ratings.helpful_tags),
        not_helpful_tag_counts=tag_counts(ratings.not_helpful_tags),
        note=note,
        rater=rater,
        y=ratings.helpful_num[rows],
        created_rating=rating_created,
        valid=valid,
    )


@dataclass
class _FirstRound:
    """What the first fit leaves for the output: helpfulness scores and who rated in it."""

    authors: helpfulness.AuthorScores
    agree_ratio: F64
    kept: Bool
    in_fit: Bool  # participants that had rater parameters in the first fit


def score(
    notes: NotesFrame,
    ratings: RatingsFrame,
    previous_status: StatusHistoryFrame | None = None,
    enrollment: EnrollmentFrame | None = None,
    *,
    now_millis: int,
    rng: np.random.Generator | None = None,
    config: factorize.FitConfig = factorize.FitConfig(),
    progress: Progress | None = None,
) -> ScoreResult:
    """Score notes from ratings.  `now_millis` and `rng` are injected so runs are exact replays.

    `enrollment` is accepted for interface parity with the published scorer; the core model
    reads nothing from it here (its stable-initialisation subset is left out, docs/notes.md)."""
    del enrollment
    rng = rng if rng is not None else np.random.default_rng(0)
    prev = previous_status if previous_status is not None else StatusHistoryFrame.empty()
    report = ScoreReport(ratings_in=len(ratings), ratings_used=0)
    timer = _Timer(report, progress)
    p = _prepare(notes, ratings, prev)
    n_notes, n_part = len(p.note_ids), len(p.participants)
    report.ratings_used = len(p.y)
    timer.lap("prepare", f" ({len(p.y)} ratings, {n_notes} notes, {n_part} participants)")
    nan_notes = np.full(n_notes, np.nan)
    nan_part = np.full(n_part, np.nan)

    first = _filter_counts(p.note, p.rater, c.MIN_RATINGS_PER_RATER, c.MIN_RATERS_PER_NOTE)
    if not first.any():  # too few ratings for any fit: everything needs more ratings
        return _finish(
            p, (nan_notes, nan_notes, nan_part, nan_part), None, now_millis, report, timer
        )
    ni1, nf1, ri1, rf1, mu1, report.first_round = _fit_round(
        p.note[first], p.rater[first], p.y[first], n_notes, n_part, rng, config, None
    )
    r1 = report.first_round
    timer.lap("first fit", f" ({r1.ratings} ratings, {r1.sweeps} sweeps, mse {r1.train_mse:.4f})")

    status1 = rules.core_status(
        ni1, nf1, p.num_ratings, p.classification, p.history.current_status, final_round=False
    ).status
    outcomes = helpfulness.rating_outcomes(p.rater, p.note, p.y, p.valid, status1, n_part)
    authors = helpfulness.author_scores(p.author, ni1, status1, n_part)
    agree = outcomes.agree_ratio()
    in_fit = ~np.isnan(ri1)
    # Only raters with parameters from the first fit can keep their say.
    kept = helpfulness.above_threshold(authors, agree) & in_fit
    report.raters_kept = int(kept.sum())
    timer.lap("helpfulness", f" ({report.raters_kept} of {r1.raters} raters kept)")

    second = _filter_counts(p.note, p.rater, 0, c.MIN_RATERS_PER_NOTE) & kept[p.rater]
    fit2 = (nan_notes, nan_notes, nan_part, nan_part)
    if second.any():
        ni2, nf2, ri2, rf2, _, report.second_round = _fit_round(
            p.note[second], p.rater[second], p.y[second], n_notes, n_part, rng, config,
            (ni1, nf1, ri1, rf1, mu1),
        )  # fmt: skip
        fit2 = (ni2, nf2, ri2, rf2)
        r2 = report.second_round
        timer.lap(
            "second fit", f" ({r2.ratings} ratings, {r2.sweeps} sweeps, mse {r2.train_mse:.4f})"
        )
    first_round = _FirstRound(authors, agree, kept, in_fit)
    return _finish(p, fit2, first_round, now_millis, report, timer)


def _finish(
    p: _Prepared,
    fit: tuple[F64, F64, F64, F64],
    first_round: _FirstRound | None,
    now_millis: int,
    report: ScoreReport,
    timer: _Timer,
) -> ScoreResult:
    """Final core rules, meta rules, contributor counts and the next status history."""
    ni2, nf2, ri2, rf2 = fit
    n_part = len(p.participants)
    core = rules.core_status(
        ni2, nf2, p.num_ratings, p.classification, p.history.current_status, final_round=True
    )
    meta = rules.meta_status(
        core.status, p.history.locked_status, p.helpful_tag_counts, p.not_helpful_tag_counts
    )
    final = meta.outcome.status
    decided_by = meta.outcome.decided_by(c.META_RULES)
    author_ids = p.participants[p.author]
    scored = ScoredNotes(
        note_id=p.note_ids,
        author_id=author_ids,
        created_at_millis=p.created,
        classification=p.classification,
        num_ratings=p.num_ratings,
        core_intercept=ni2,
        core_factor=nf2,
        core_status=core.status,
        core_active_rules=core.active_rules(c.CORE_RULES),
        final_status=final,
        meta_active_rules=meta.outcome.active_rules(c.META_RULES),
        decided_by=decided_by,
        first_tag=meta.first_tag,
        second_tag=meta.second_tag,
    )

    # Contributor counts use the final statuses (published contributor_state).
    valid = p.valid
    out = helpfulness.rating_outcomes(p.rater, p.note, p.y, valid, final, n_part)
    awaiting = np.bincount(p.rater[valid & (final[p.note] == c.STATUS_NMR)], minlength=n_part)
    with np.errstate(invalid="ignore"):
        after = p.created_rating > p.history.most_recent_non_nmr_millis[p.note]
    rated_after = np.bincount(p.rater[after], minlength=n_part)
    by_status = [
        np.bincount(p.author, weights=final == s, minlength=n_part).astype(np.int64)
        for s in (c.STATUS_CRH, c.STATUS_CRNH, c.STATUS_NMR)
    ]
    if first_round is not None:
        fr = first_round
        # Rows as the published outer join: raters of the first fit, authors, valid raters.
        row = fr.in_fit | (fr.authors.note_count > 0) | ~np.isnan(fr.agree_ratio)
        diff, mean = fr.authors.crh_crnh_ratio_difference, fr.authors.mean_note_score
        agree, kept = fr.agree_ratio, fr.kept
    else:
        row = np.zeros(n_part, dtype=np.bool_)
        diff = mean = agree = np.full(n_part, np.nan)
        kept = np.zeros(n_part, dtype=np.bool_)
    raters = RaterScores(
        participant_id=p.participants[row],
        core_rater_intercept=ri2[row],
        core_rater_factor=rf2[row],
        crh_crnh_ratio_difference=diff[row],
        mean_note_score=mean[row],
        rater_agree_ratio=agree[row],
        above_helpfulness_threshold=kept[row],
        successful_rating_helpful_count=out.successful_helpful[row],
        successful_rating_not_helpful_count=out.successful_not_helpful[row],
        unsuccessful_rating_helpful_count=out.unsuccessful_helpful[row],
        unsuccessful_rating_not_helpful_count=out.unsuccessful_not_helpful[row],
        ratings_awaiting_more_ratings=awaiting[row].astype(np.int64),
        rated_after_decision=rated_after[row].astype(np.int64),
        notes_currently_rated_helpful=by_status[0][row],
        notes_currently_rated_not_helpful=by_status[1][row],
        notes_awaiting_more_ratings=by_status[2][row],
    )
    new_history = history.next_history(
        p.history, p.note_ids, author_ids, p.created, final, core.status, decided_by, now_millis
    )
    counts = np.bincount(final, minlength=3)
    timer.lap(
        "statuses",
        f" ({counts[c.STATUS_CRH]} helpful, {counts[c.STATUS_CRNH]} not helpful,"
        f" {counts[c.STATUS_NMR]} need more ratings)",
    )
    return ScoreResult(scored, raters, new_history, report)

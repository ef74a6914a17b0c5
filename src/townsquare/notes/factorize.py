"""The one-factor biased matrix factorisation behind note scores, fitted by exact block updates.

Model: rating ~ mu + i_rater + i_note + f_rater * f_note.  The published objective
(matrix_factorization.py) is

    mean over ratings of squared error
    + 0.15 * (mean(i_rater^2) + mean(i_note^2) + mu^2)
    + 0.03 * (mean(f_rater^2) + mean(f_note^2))

(each regulariser is a *mean* over that parameter table, so the per-parameter weight shrinks as
the table grows).  The reference minimises it with full-batch Adam until the loss moves by less
than 1e-7.  We minimise the same function by alternating least squares: with the notes fixed,
each rater's (intercept, factor) pair is a 2x2 ridge regression with a closed-form solution, and
the same holds for notes given raters, and for mu given both.  Every block update is the exact
minimiser for its block, so the loss never rises, and each sweep is a handful of np.bincount
passes over the ratings: no per-rating Python, no learning rate to tune.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from townsquare.notes import constants as c

F64 = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class FitConfig:
    intercept_lambda: float = c.INTERCEPT_LAMBDA
    factor_lambda: float = c.FACTOR_LAMBDA
    # Stop when a sweep lowers the (published, per-rating) loss by less than this.  Tighter than
    # the reference's 1e-7 per Adam step, because one exact sweep does far more than one step.
    tolerance: float = 1e-9
    max_sweeps: int = 1000


@dataclass
class FitResult:
    note_intercept: F64
    note_factor: F64
    rater_intercept: F64
    rater_factor: F64
    global_intercept: float
    loss: float  # the published objective at the solution
    train_mse: float
    sweeps: int
    converged: bool


@dataclass(frozen=True)
class FitInit:
    """Starting values (e.g. from the first fit); NaN entries fall back to the default start."""

    note_intercept: F64
    note_factor: F64
    rater_intercept: F64
    rater_factor: F64
    global_intercept: float


def _solve_blocks(
    idx: IntArray,
    n: int,
    target: F64,
    other_factor: F64,
    counts: F64,
    lam_intercept: float,
    lam_factor: float,
) -> tuple[F64, F64]:
    """Exact ridge solution of target ~ intercept[idx] + factor[idx] * other_factor, per block."""
    s1 = np.bincount(idx, weights=other_factor, minlength=n)
    s2 = np.bincount(idx, weights=other_factor * other_factor, minlength=n)
    t0 = np.bincount(idx, weights=target, minlength=n)
    t1 = np.bincount(idx, weights=target * other_factor, minlength=n)
    a11 = counts + lam_intercept
    a22 = s2 + lam_factor
    det = a11 * a22 - s1 * s1  # > 0: both lambdas are positive (Cauchy-Schwarz)
    intercept = (t0 * a22 - s1 * t1) / det
    factor = (a11 * t1 - s1 * t0) / det
    return intercept, factor


def _objective(
    residual: F64,
    fit: tuple[F64, F64, F64, F64, float],
    config: FitConfig,
) -> tuple[float, float]:
    note_i, note_f, rater_i, rater_f, mu = fit
    mse = float(np.dot(residual, residual)) / len(residual)
    reg = config.intercept_lambda * (
        float(np.mean(rater_i * rater_i)) + float(np.mean(note_i * note_i)) + mu * mu
    ) + config.factor_lambda * (float(np.mean(rater_f * rater_f)) + float(np.mean(note_f * note_f)))
    return mse + reg, mse


def fit(
    note: IntArray,
    rater: IntArray,
    y: F64,
    n_notes: int,
    n_raters: int,
    rng: np.random.Generator,
    config: FitConfig = FitConfig(),
    init: FitInit | None = None,
) -> FitResult:
    """Fit the model to ratings (note[k], rater[k], y[k]); indices must be compact 0..n-1."""
    n = len(y)
    if n == 0:
        raise ValueError("cannot fit a model on zero ratings")
    # Published regularisers are means over each table; scaled to a sum-of-squares problem
    # (multiply the loss by n) each parameter gets weight n * lambda / table size.
    lam_ni = n * config.intercept_lambda / n_notes
    lam_nf = n * config.factor_lambda / n_notes
    lam_ri = n * config.intercept_lambda / n_raters
    lam_rf = n * config.factor_lambda / n_raters
    note_counts = np.bincount(note, minlength=n_notes).astype(np.float64)
    rater_counts = np.bincount(rater, minlength=n_raters).astype(np.float64)

    # Reference start: intercepts 0, factors Xavier-uniform, bound sqrt(6 / (1 + table size)).
    rater_i = np.zeros(n_raters)
    rater_f = rng.uniform(-1.0, 1.0, n_raters) * np.sqrt(6.0 / (1 + n_raters))
    note_i = np.zeros(n_notes)
    note_f = rng.uniform(-1.0, 1.0, n_notes) * np.sqrt(6.0 / (1 + n_notes))
    mu = 0.0
    if init is not None:
        rater_i = np.where(np.isnan(init.rater_intercept), rater_i, init.rater_intercept)
        rater_f = np.where(np.isnan(init.rater_factor), rater_f, init.rater_factor)
        note_i = np.where(np.isnan(init.note_intercept), note_i, init.note_intercept)
        note_f = np.where(np.isnan(init.note_factor), note_f, init.note_factor)
        mu = float(init.global_intercept)

    prev_loss = np.inf
    loss = mse = np.inf
    sweeps = 0
    converged = False
    while sweeps < config.max_sweeps:
        sweeps += 1
        # Notes given raters and mu.
        rf = rater_f[rater]
        note_i, note_f = _solve_blocks(
            note, n_notes, y - mu - rater_i[rater], rf, note_counts, lam_ni, lam_nf
        )
        # Raters given notes and mu.
        nf = note_f[note]
        rater_i, rater_f = _solve_blocks(
            rater, n_raters, y - mu - note_i[note], nf, rater_counts, lam_ri, lam_rf
        )
        # mu given everything else: mean residual shrunk by its own ridge term.
        partial = y - note_i[note] - rater_i[rater] - rater_f[rater] * nf
        mu = float(partial.sum()) / (n * (1.0 + config.intercept_lambda))
        partial -= mu
        loss, mse = _objective(partial, (note_i, note_f, rater_i, rater_f, mu), config)
        if prev_loss - loss < config.tolerance:
            converged = True
            break
        prev_loss = loss

    # Identification (published _flip_factors_for_identification): the sign of a factor is
    # arbitrary; choose it so that at least half of the raters with a non-zero factor are negative.
    nonzero = np.count_nonzero(rater_f)
    if nonzero and np.count_nonzero(rater_f < 0) / nonzero < 0.5:
        rater_f = -rater_f
        note_f = -note_f
    return FitResult(note_i, note_f, rater_i, rater_f, mu, loss, mse, sweeps, converged)

"""The block-update fit minimises the published objective."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from townsquare.notes import constants as c
from townsquare.notes import factorize


def problem(seed: int = 0, n_notes: int = 30, n_raters: int = 40, density: float = 0.5):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_notes, n_raters)) < density
    note, rater = np.nonzero(mask)
    truth = (
        rng.normal(0, 0.3, n_notes)[note]
        + rng.normal(0, 0.8, n_raters)[rater] * rng.normal(0, 0.5, n_notes)[note]
    )
    y = np.clip(np.round((truth + 0.5) * 2) / 2, 0, 1)
    return note, rater, y, n_notes, n_raters


def published_loss(theta: np.ndarray, note, rater, y, n_notes: int, n_raters: int) -> float:
    """The reference objective written out directly (mean error + lambda * mean squares)."""
    ni, nf = theta[:n_notes], theta[n_notes : 2 * n_notes]
    ri, rf = theta[2 * n_notes : 2 * n_notes + n_raters], theta[2 * n_notes + n_raters : -1]
    mu = theta[-1]
    pred = mu + ni[note] + ri[rater] + nf[note] * rf[rater]
    return float(
        np.mean((y - pred) ** 2)
        + c.INTERCEPT_LAMBDA * (np.mean(ni**2) + np.mean(ri**2) + mu**2)
        + c.FACTOR_LAMBDA * (np.mean(nf**2) + np.mean(rf**2))
    )


def test_fit_reaches_a_minimum_of_the_published_objective() -> None:
    note, rater, y, n_notes, n_raters = problem()
    res = factorize.fit(note, rater, y, n_notes, n_raters, np.random.default_rng(0))
    assert res.converged
    theta = np.concatenate(
        [
            res.note_intercept,
            res.note_factor,
            res.rater_intercept,
            res.rater_factor,
            [res.global_intercept],
        ]
    )
    args = (note, rater, y, n_notes, n_raters)
    assert published_loss(theta, *args) == pytest.approx(res.loss, abs=1e-12)
    # A general-purpose optimiser started at our solution finds nothing meaningfully lower ...
    polished = minimize(published_loss, theta, args=args, method="L-BFGS-B", tol=1e-14)
    assert polished.fun > res.loss - 1e-8
    # ... and started from scratch it does not beat us either.
    fresh = minimize(
        published_loss,
        np.random.default_rng(1).normal(0, 0.1, len(theta)),
        args=args,
        method="L-BFGS-B",
        tol=1e-14,
    )
    assert res.loss <= fresh.fun + 1e-8


def test_loss_never_rises_and_more_sweeps_do_not_change_the_answer() -> None:
    note, rater, y, n_notes, n_raters = problem(seed=2)
    losses = []
    for sweeps in (1, 2, 4, 8, 16, 32):
        cfg = factorize.FitConfig(tolerance=0.0, max_sweeps=sweeps)
        losses.append(
            factorize.fit(note, rater, y, n_notes, n_raters, np.random.default_rng(0), cfg).loss
        )
    assert all(b <= a + 1e-15 for a, b in itertools.pairwise(losses))
    tight = factorize.fit(
        note,
        rater,
        y,
        n_notes,
        n_raters,
        np.random.default_rng(0),
        factorize.FitConfig(tolerance=1e-14),
    )
    default = factorize.fit(note, rater, y, n_notes, n_raters, np.random.default_rng(0))
    np.testing.assert_allclose(default.note_intercept, tight.note_intercept, atol=1e-3)


def test_factor_sign_puts_most_raters_negative() -> None:
    note, rater, y, n_notes, n_raters = problem(seed=3)
    for seed in range(4):
        res = factorize.fit(note, rater, y, n_notes, n_raters, np.random.default_rng(seed))
        nonzero = res.rater_factor[res.rater_factor != 0]
        assert np.mean(nonzero < 0) >= 0.5


def test_empty_input_is_a_clear_error() -> None:
    empty = np.zeros(0, dtype=np.intp)
    with pytest.raises(ValueError, match="zero ratings"):
        factorize.fit(empty, empty, np.zeros(0), 0, 0, np.random.default_rng(0))

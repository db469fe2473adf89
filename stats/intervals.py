"""Interval estimates and shrinkage for unit indices. All functions work on arrays, one row per unit.

Points interval (normal approximation). A unit's index is Σ_g w_g·m_g, where m_g is the mean score of
the n_g valid responses of group g and w_g the group weights re-normalised over the groups present.
The groups are independent samples, so

    Var(index) = Σ_g w_g² · s_g² / n_g      (s_g² = sample variance of the group's response scores)
    points_ci  = max_points · (index ± z·√Var(index)), clipped to [0, max_points]

A group with a single response has no variance estimate; it gets 0.25, the largest variance a score in
[0, 1] can have. A group whose responses all score the same has s² = 0 and adds no width: the
approximation is weakest for small groups, which scoring flags as small_sample.

Satisfaction rates use Wilson's score interval, which stays inside [0, 1] and behaves at p = 0 or 1.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtri  # the normal quantile; lighter to import than scipy.stats.norm

UNKNOWN_VARIANCE = 0.25  # max variance of a [0, 1] variable: the conservative bound when n = 1


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile, e.g. 1.96 for 0.95."""
    return float(ndtri(0.5 + confidence / 2))


def wilson_interval(successes: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for successes/n; NaN where n = 0."""
    z = z_value(confidence)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)  # clip: rounding at p = 0 or 1


def group_variances(sum_sq_dev: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Sample variance (ddof 1) per group from the summed squared deviations; 0.25 where n = 1, NaN at 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = sum_sq_dev / (n - 1)
    return np.where(n == 1, UNKNOWN_VARIANCE, np.where(n > 1, variance, np.nan))


def points_interval(index: np.ndarray, index_variance: np.ndarray, max_points: float,
                    confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """max_points · (index ± z·√Var), clipped to [0, max_points]; NaN where the index is NaN."""
    half = z_value(confidence) * np.sqrt(index_variance)
    return (np.clip(max_points * (index - half), 0, max_points),
            np.clip(max_points * (index + half), 0, max_points))


def shrink_to_category(means: np.ndarray, sampling_variance: np.ndarray,
                       category: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes shrinkage of unit means towards their category mean, per category.

    Model: unit mean x_i ~ N(θ_i, v_i) with v_i = s_i²/n_i known, and θ_i ~ N(μ, τ²) within a
    category. Method of moments: μ = the plain mean of the x_i, τ² = max(0, sample variance of the x_i
    − mean of the v_i). Each mean moves to B_i·μ + (1 − B_i)·x_i with B_i = v_i/(v_i + τ²), so noisy
    units (small n) move most; the returned variance is the posterior (1 − B_i)·v_i, ignoring the
    uncertainty in μ and τ². A category with fewer than 3 units with data is left as it is (no
    usable estimate of τ²). NaN means (no data) stay NaN.
    """
    shrunk, variance = means.copy(), sampling_variance.copy()
    for code in np.unique(category):
        members = np.flatnonzero((category == code) & ~np.isnan(means))
        if members.size < 3:
            continue
        x, v = means[members], sampling_variance[members]
        tau2 = max(0.0, float(np.var(x, ddof=1) - v.mean()))
        with np.errstate(divide="ignore", invalid="ignore"):
            pull = np.where(v + tau2 > 0, v / (v + tau2), 0.0)  # v = τ² = 0: the mean is exact, keep it
        shrunk[members] = pull * x.mean() + (1 - pull) * x
        variance[members] = (1 - pull) * v
    return shrunk, variance

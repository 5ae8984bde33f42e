"""Deterministic numerical integration over independent posteriors.

P(variant i is best) = integral of f_i(x) * prod_{j != i} F_j(x) dx, and E[max_j theta_j] is the same
integral with an extra x. We use composite Gauss-Legendre panels whose edges are a few quantiles of
every posterior, so a narrow posterior never hides inside one coarse panel. Results agree with
10^6-draw Monte Carlo to its noise, sum to 1 within ~1e-9, and are identical on every run.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sounding.experiments.posteriors import Posteriors

# Inner edges keep each panel within a few standard deviations of one posterior; the outer ones
# drop only 2e-13 of its mass.
EDGE_QUANTILES = np.array([1e-13, 1e-4, 0.5, 1 - 1e-4, 1 - 1e-13])
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(12)


def _panel_nodes(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on each panel between consecutive sorted edges."""
    left, right = edges[:-1], edges[1:]
    half = (right - left)[:, None] / 2
    x = (half * _NODES[None, :] + ((left + right) / 2)[:, None]).ravel()
    w = (half * _WEIGHTS[None, :]).ravel()
    return x, w


def best_of(post: Posteriors) -> tuple[np.ndarray, np.ndarray]:
    """P(each variant has the highest true value) and its expected loss E[max_j theta_j - theta_i]."""
    x, w = _panel_nodes(np.unique(post.ppf(EDGE_QUANTILES[:, None]).ravel()))
    xs = x[:, None]
    dens = post.pdf(xs)
    cdf = post.cdf(xs)
    ones = np.ones((len(x), 1))
    before = np.cumprod(np.hstack([ones, cdf[:, :-1]]), axis=1)
    after = np.cumprod(np.hstack([ones, cdf[:, :0:-1]]), axis=1)[:, ::-1]
    weight = dens * before * after  # f_i(x) * prod_{j != i} F_j(x)
    p_best = np.clip(w @ weight, 0.0, 1.0)
    expected_max = float(w @ (x * weight.sum(axis=1)))
    loss = np.maximum(expected_max - post.mean, 0.0)
    return p_best, loss


def ratio_quantiles(control: Posteriors, variants: Posteriors, probs: np.ndarray) -> np.ndarray:
    """Quantiles of theta_variant / theta_control for each variant: shape (len(variants), len(probs)).

    The cdf G(r) = P(theta_v <= r theta_c) = integral f_c(x) F_v(r x) dx and its derivative
    integral f_c(x) x f_v(r x) dx are integrated on panels split at both posteriors' edge quantiles
    (the variant's divided by r), then G(r) = q is solved by safeguarded Newton steps in log r,
    all variants and probabilities at once, from a log-normal first guess.
    """
    probs = np.asarray(probs, dtype=float)
    k, m = len(variants), len(probs)
    rows = Posteriors(variants.family, np.repeat(variants.a, m)[:, None], np.repeat(variants.b, m)[:, None])
    q = np.tile(probs, k)
    c_edges = control.ppf(EDGE_QUANTILES)
    v_edges = rows.ppf(EDGE_QUANTILES[None, :])
    log_sd = np.sqrt(_log_variance(control) + _log_variance(rows))[:, 0]
    u = np.log(rows.mean[:, 0] / control.mean[0]) + log_sd * special.ndtri(q)
    lo = np.full_like(u, -np.inf)
    hi = np.full_like(u, np.inf)
    for _ in range(60):
        r = np.exp(u)[:, None]
        edges = np.sort(
            np.clip(
                np.hstack([np.broadcast_to(c_edges, v_edges.shape), v_edges / r]), c_edges[0], c_edges[-1]
            ),
            axis=1,
        )
        half = np.diff(edges, axis=1)[:, :, None] / 2
        mid = (edges[:, 1:] + edges[:, :-1])[:, :, None] / 2
        x = (half * _NODES + mid).reshape(len(u), -1)
        w = (half * _WEIGHTS).reshape(len(u), -1)
        fc = w * control.pdf(x)
        gap = (fc * rows.cdf(r * x)).sum(axis=1) - q
        slope = (fc * x * rows.pdf(r * x)).sum(axis=1) * r[:, 0]
        lo = np.where(gap < 0, u, lo)
        hi = np.where(gap > 0, u, hi)
        # A flat cdf (slope 0) far in a tail: move one unit of log r in the direction of the root.
        step = np.clip(np.divide(gap, slope, out=np.sign(gap), where=slope > 0), -1.0, 1.0)
        new = u - step
        outside = (new <= lo) | (new >= hi)
        new = np.where(outside & np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2, new)
        done = np.abs(new - u) < 1e-11
        u = new
        if done.all():
            break
    return np.exp(u).reshape(k, m)


def _log_variance(post: Posteriors) -> np.ndarray:
    """Variance of log(theta), by the delta method (var / mean^2); used only for starting values."""
    if post.family == "beta":
        a, b = post.a, post.b
        return b / (a * (a + b + 1))
    return 1 / post.a

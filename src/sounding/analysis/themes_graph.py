"""Clusterers for :mod:`sounding.analysis.themes`: k-NN graph + Leiden (default), KMeans + merge (fallback).

A clusterer is any object with ``fit_predict(X) -> labels`` (``-1`` = noise), so scikit-learn's
``HDBSCAN``/``KMeans`` plug in too. Rows of ``X`` are expected L2-normalised (cosine geometry).

:class:`KnnLeiden` (default)
    1. k-nearest-neighbour graph on cosine similarity, computed block by block (memory
       ``block x n`` floats, never ``n x n``); edges weighted by the similarity, made symmetric.
    2. Leiden community detection (``igraph``) maximising modularity at a resolution.

    The neighbour count grows with the input, ``k = n / 300`` clipped to ``[5, 100]``, so that the
    graph looks alike at 3k and 30k points and the same resolution finds themes of the same
    granularity (the number of themes does not grow with the number of comments). When ``k`` is
    clipped up (small inputs) the resolution is scaled down by the same factor. Parameters were
    chosen on the Banking77 *train* split (see ``docs/themes.md``).

:class:`KMeansMerge` (fallback when ``igraph`` is not installed)
    Over-cluster with KMeans, merge centroids by average-linkage at a cosine-distance cut, then a
    few nearest-centroid refinement passes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np


def knn(
    X: np.ndarray, k: int, block: int = 1024, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k-NN of unit rows (self excluded): ``(indices, similarities)``, each ``(n, k)``.

    Block-wise (memory ``workers x block x n`` floats); blocks run in a small thread pool because
    numpy's matmul and argpartition release the GIL. Neighbours are listed in index order.
    """
    from concurrent.futures import ThreadPoolExecutor

    X = np.ascontiguousarray(X, dtype=np.float32)
    n = len(X)
    k = int(min(k, n - 1))
    idx = np.empty((n, max(k, 0)), dtype=np.int64)
    sim = np.empty((n, max(k, 0)), dtype=np.float32)
    if k <= 0:
        return idx, sim

    def one(start: int) -> None:
        stop = min(n, start + block)
        S = X[start:stop] @ X.T
        S[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        part = np.argpartition(S, n - k, axis=1)[:, n - k :]
        part.sort(axis=1)
        idx[start:stop] = part
        sim[start:stop] = np.take_along_axis(S, part, axis=1)

    starts = range(0, n, block)
    workers = workers or min(2, os.cpu_count() or 1)
    if workers <= 1 or n <= block:
        for start in starts:
            one(start)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, starts))
    return idx, sim


def auto_neighbors(n: int, fraction: float = 1 / 300, lo: int = 5, hi: int = 100) -> int:
    return int(max(1, min(n - 1, max(lo, min(hi, round(n * fraction))))))


@dataclass
class KnnLeiden:
    """k-NN graph + Leiden modularity; finds the number of themes itself.

    ``n_neighbors=None`` means ``round(n * neighbor_fraction)`` clipped to ``[min_neighbors, max_neighbors]``.
    ``resolution`` is the modularity resolution at the reference density (``k = n * neighbor_fraction``);
    higher = more, smaller themes.
    """

    resolution: float = 10.0
    min_resolution: float = 4.0
    n_neighbors: int | None = None
    neighbor_fraction: float = 1 / 300
    min_neighbors: int = 5
    max_neighbors: int = 100
    min_cluster_size: int = 3
    #: Resolution of the second pass over the comments the first pass left in groups too small.
    rescue_resolution: float = 1.0
    seed: int = 0

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        n = len(X)
        if n < 2:
            return np.full(n, -1, dtype=np.int64)
        k = self.n_neighbors or auto_neighbors(
            n, self.neighbor_fraction, self.min_neighbors, self.max_neighbors
        )
        k = min(k, n - 1)
        # Keep resolution * (reference k) / k constant, so clipping k does not change granularity,
        # but never below ``min_resolution`` (plain modularity): tiny inputs would collapse into one group.
        resolution = max(self.min_resolution, self.resolution * min(1.0, (n * self.neighbor_fraction) / k))
        labels = drop_small(self._leiden(X, k, resolution), self.min_cluster_size)
        # A high resolution shatters a group that is a large share of a small input (8 of 20 comments
        # on one topic) into singletons: cluster what it left over once more at plain modularity.
        rest = np.flatnonzero(labels < 0)
        if resolution > self.rescue_resolution and len(rest) > max(self.min_cluster_size, 2):
            again = drop_small(self._leiden(X[rest], min(k, len(rest) - 1), self.rescue_resolution),
                               self.min_cluster_size)
            labels[rest[again >= 0]] = again[again >= 0] + labels.max(initial=-1) + 1
        return labels

    def _leiden(self, X: np.ndarray, k: int, resolution: float) -> np.ndarray:
        import igraph as ig
        import scipy.sparse as sp

        n = len(X)
        idx, sim = knn(X, k)
        rows = np.repeat(np.arange(n), k)
        w = np.maximum(sim.ravel().astype(np.float64), 1e-6)
        A = sp.csr_matrix((w, (rows, idx.ravel())), shape=(n, n))
        A = A.maximum(A.T).tocoo()
        upper = A.row < A.col
        g = ig.Graph(n=n, edges=np.column_stack([A.row[upper], A.col[upper]]).tolist())
        g.es["weight"] = A.data[upper].tolist()
        rng = random.Random(self.seed)
        ig.set_random_number_generator(rng)
        try:
            part = g.community_leiden(
                objective_function="modularity", weights="weight", resolution=resolution, n_iterations=-1
            )
        finally:
            ig.set_random_number_generator(random)
        return np.asarray(part.membership, dtype=np.int64)


@dataclass
class KMeansMerge:
    """Over-cluster with KMeans, merge centroids (average linkage, cosine) under ``distance_threshold``."""

    distance_threshold: float = 0.4
    points_per_micro: int = 8
    max_micro: int = 2000
    refine_iter: int = 5
    min_cluster_size: int = 3
    seed: int = 0

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster, linkage
        from sklearn.cluster import KMeans, MiniBatchKMeans

        n = len(X)
        if n < 2:
            return np.full(n, -1, dtype=np.int64)
        m = int(max(2, min(self.max_micro, n // self.points_per_micro, n)))
        if n > 20_000:
            km = MiniBatchKMeans(m, random_state=self.seed, n_init=1, batch_size=4096).fit(X)
        else:
            km = KMeans(m, random_state=self.seed, n_init=1).fit(X)
        C = _unit(km.cluster_centers_)
        groups = (
            fcluster(linkage(C, method="average", metric="cosine"), self.distance_threshold, "distance") - 1
        )
        labels = groups[km.labels_]
        for _ in range(self.refine_iter):
            labels = (X @ centroids(X, labels).T).argmax(1)
        return drop_small(labels.astype(np.int64), self.min_cluster_size)


def _unit(M: np.ndarray) -> np.ndarray:
    return M / np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-12)


def centroids(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-length mean vector per label ``0..max`` (noise ignored)."""
    k = int(labels.max()) + 1 if len(labels) else 0
    M = np.zeros((k, X.shape[1]), dtype=np.float64)
    ok = labels >= 0
    np.add.at(M, labels[ok], X[ok])
    return _unit(M)


def drop_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Groups smaller than ``min_size`` become -1; the rest are renumbered 0..k-1 by first occurrence."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.full(len(labels), -1, dtype=np.int64)
    ok = labels >= 0
    if not ok.any():
        return out
    values, first, counts = np.unique(labels[ok], return_index=True, return_counts=True)
    keep = counts >= max(1, min_size)
    order = values[keep][np.argsort(first[keep], kind="stable")]
    remap = np.full(int(values.max()) + 1, -1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    out[ok] = remap[labels[ok]]
    return out


def default_clusterer(seed: int = 0, min_cluster_size: int = 3):
    """:class:`KnnLeiden` when ``igraph`` is importable, else :class:`KMeansMerge`."""
    try:
        import igraph  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return KMeansMerge(seed=seed, min_cluster_size=min_cluster_size)
    return KnnLeiden(seed=seed, min_cluster_size=min_cluster_size)

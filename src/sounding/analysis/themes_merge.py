"""One theme per topic: near-duplicate groups and themes are merged.

Leiden at a high resolution splits a large topic into parts (on the airline demo "delays" came out
as three of the top six lessons). Two passes fix that:

* :func:`merge_groups`: within one clustering call, groups whose centroids are close are joined
  (average linkage on the centroids' cosine distance relative to the groups' own spread, cut at
  ``dedupe_spread``) before any key is made.
* :func:`merge_existing`: stored themes whose centroids have drifted together are merged; the
  smaller one points to the larger (its key stays valid and resolves to the survivor).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sounding.analysis.themes_graph import centroids, drop_small


def merge_groups(X: np.ndarray, labels: np.ndarray, threshold: float, spread: float | None = None) -> np.ndarray:
    """Join groups whose centroids are close (average linkage over the groups' centroids).

    ``spread`` given: two groups are close when the cosine distance between their centroids is at
    most ``spread`` times their members' own spread, ``1 - sqrt(cohesion_a x cohesion_b)`` (mean
    pairwise cosine within each group). The cut is then relative to the data's density: loose groups
    (short airline tweets, cohesion ~0.3) that Leiden split from one topic join at centroid cosine
    ~0.8, while tight neighbouring intents (Banking77, ~0.55) must be ~0.9 alike. Without ``spread``:
    joined when centroid cosine >= ``threshold``.

    One pass over the groups as found: re-merging merged groups would chain a whole domain into one
    theme (a large group's centroid drifts towards the corpus mean and so nears every other group).
    """
    k = int(labels.max(initial=-1)) + 1
    if k < 2 or (spread is None and threshold >= 1) or (spread is not None and spread <= 0):
        return labels
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    from sounding.analysis.themes_members import member_stats

    C = centroids(X, labels)
    D = np.clip(1.0 - C @ C.T, 0.0, 2.0)
    cut = 1 - threshold
    if spread is not None:
        _, cohesion = member_stats(X, labels)
        own = 1.0 - np.sqrt(np.clip(np.outer(cohesion, cohesion), 1e-6, 1.0))
        D, cut = D / np.maximum(own, 1e-6), spread
    np.fill_diagonal(D, 0.0)
    joined = fcluster(linkage(squareform((D + D.T) / 2, checks=False), method="average"), cut, "distance") - 1
    return drop_small(np.where(labels >= 0, joined[np.maximum(labels, 0)], -1), 1)


def merge_existing(
    centroid_rows: Sequence[np.ndarray], sizes: Sequence[int], threshold: float
) -> dict[int, int]:
    """Indices of themes to merge -> index of the survivor (the larger; ties: the older, lower index).

    Greedy over pairs from the most similar down, so a chain a~b~c ends in one survivor.
    """
    n = len(centroid_rows)
    if n < 2:
        return {}
    C = np.vstack([np.asarray(c, dtype=np.float32).reshape(1, -1) for c in centroid_rows])
    C = C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)
    S = C @ C.T
    i, j = np.triu_indices(n, 1)
    close = S[i, j] >= threshold
    pairs = sorted(zip(-S[i, j][close], i[close], j[close]))
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for _, a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra == rb:
            continue
        keep, drop = (ra, rb) if (sizes[ra], -ra) >= (sizes[rb], -rb) else (rb, ra)
        parent[drop] = keep
    return {a: root(a) for a in range(n) if root(a) != a}

"""One theme per topic: near-duplicate groups and themes are merged.

Leiden at a high resolution splits a large topic into parts (on the airline demo "delays" came out
as three of the top six lessons). Two passes fix that:

* :func:`merge_groups`: within one clustering call, groups whose centroids are close are joined
  (average linkage on cosine distance, cut at ``1 - threshold``) before any key is made.
* :func:`merge_existing`: stored themes whose centroids have drifted together are merged; the
  smaller one points to the larger (its key stays valid and resolves to the survivor).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sounding.analysis.themes_graph import centroids, drop_small


def merge_groups(X: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Join groups whose centroids are at cosine >= ``threshold`` (average linkage over the groups' centroids).

    One pass over the groups as found: re-merging merged groups would chain a whole domain into one
    theme (a large group's centroid drifts towards the corpus mean and so nears every other group).
    """
    k = int(labels.max(initial=-1)) + 1
    if k < 2 or threshold >= 1:
        return labels
    from scipy.cluster.hierarchy import fcluster, linkage

    C = centroids(X, labels)
    joined = fcluster(linkage(C, method="average", metric="cosine"), 1 - threshold, "distance") - 1
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

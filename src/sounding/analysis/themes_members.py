"""Members of a theme: leave-one-out pruning, the people rule, and representative quotes.

Split from :mod:`sounding.analysis.themes` (pure functions over unit rows and group labels).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from sounding.analysis.themes_graph import drop_small


def member_stats(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out statistics, unbiased for small groups.

    Returns per row the cosine between the row and the mean of the *other* members of its group
    (NaN for noise / singletons), and per group the mean pairwise cosine between distinct members.
    """
    k = int(labels.max(initial=-1)) + 1
    ok = labels >= 0
    S = np.zeros((k, X.shape[1]), dtype=np.float64)
    np.add.at(S, labels[ok], X[ok])
    size = np.bincount(labels[ok], minlength=k).astype(np.float64)
    pair = (np.einsum("ij,ij->i", S, S) - size) / np.maximum(size * (size - 1), 1)
    member = np.full(len(labels), np.nan)
    rest = S[labels[ok]] - X[ok]
    norm = np.linalg.norm(rest, axis=1)
    member[ok] = np.where(norm > 1e-9, np.einsum("ij,ij->i", X[ok], rest) / np.maximum(norm, 1e-12), np.nan)
    return member, pair


def prune(X: np.ndarray, labels: np.ndarray, cfg, passes: int = 2) -> np.ndarray:
    """Unclustered: members far from the rest of their group, groups that are not cohesive or too small."""
    for _ in range(passes):
        if labels.max(initial=-1) < 0:
            break
        member, pair = member_stats(X, labels)
        ok = labels >= 0
        good = ok & (np.nan_to_num(member, nan=-1.0) >= cfg.min_member_similarity)
        good &= pair[np.maximum(labels, 0)] >= cfg.min_cohesion
        labels = drop_small(np.where(good, labels, -1), cfg.min_theme_size)
    return labels


def people_sets(authors: Sequence[Any] | None, n: int) -> np.ndarray | None:
    """Per row, the set of its authors (an object array of frozensets), or None."""
    if authors is None:
        return None
    if len(authors) != n:
        raise ValueError(f"{len(authors)} authors for {n} rows")
    out = np.empty(n, dtype=object)
    for i, a in enumerate(authors):
        out[i] = frozenset(a) if isinstance(a, (set, frozenset, list, tuple)) else frozenset([a])
    return out


def drop_lonely(labels: np.ndarray, people: np.ndarray, cfg) -> np.ndarray:
    """Groups said by fewer than ``min_people`` distinct people become unclustered."""
    out = labels.copy()
    for c in range(int(labels.max(initial=-1)) + 1):
        members = np.flatnonzero(labels == c)
        if len(frozenset().union(*people[members])) < cfg.min_people:
            out[members] = -1
    return drop_small(out, cfg.min_theme_size)


def _norm_text(t: str) -> str:
    return " ".join(t.lower().split())


def _representatives(
    X: np.ndarray, idx: np.ndarray, centroid: np.ndarray, texts: Sequence[str], k: int
) -> list[int]:
    """Members nearest the centroid with distinct (case/space-normalised) texts; ties by index."""
    sims = X[idx] @ np.asarray(centroid, dtype=np.float32)
    ranked = idx[np.lexsort((idx, -sims))]
    out: list[int] = []
    seen: set[str] = set()
    for i in ranked:
        key = _norm_text(texts[i])
        if key in seen or not any(ch.isalnum() for ch in key):  # a bare @mention or emoji says nothing
            continue
        seen.add(key)
        out.append(int(i))
        if len(out) >= k:
            break
    return out


def quotes(
    X: np.ndarray,
    idx: np.ndarray,
    centroid: np.ndarray,
    texts: Sequence[str],
    k: int,
    intents: Sequence[str] | None,
    priority: Sequence[str],
    words: Sequence[str] = (),
) -> list[int]:
    """Representatives, taken from the members of the most common intent (ties: ``priority`` order)
    that say one of ``words`` (the theme's name and top terms), nearest the centroid first.

    Topped up from that intent's other members, then from everyone, so a quote does not contradict
    the lesson's verb and, where members say it, names the topic.
    """
    pool = idx
    if intents is not None:
        kinds = [intents[i] for i in idx]
        top = max(priority, key=lambda kind: (kinds.count(kind), -list(priority).index(kind)))
        pool = idx[np.array(kinds) == top] if top in kinds else idx
    patterns = [re.compile(rf"\b{re.escape(w.lower())}\b") for w in words if w and w != "(no words)"]
    near = _representatives(X, pool, centroid, texts, 500) if patterns else []  # bounded: the 500 nearest
    saying = np.array([i for i in near if any(p.search(texts[i].lower()) for p in patterns)], dtype=np.int64)
    reps: list[int] = []
    for candidates in (saying, pool, idx):
        if len(reps) >= k or not len(candidates):
            continue
        taken = {_norm_text(texts[i]) for i in reps}
        more = _representatives(X, candidates, centroid, texts, len(candidates))
        reps += [i for i in more if _norm_text(texts[i]) not in taken][: k - len(reps)]
    return reps

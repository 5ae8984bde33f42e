"""Themes: recurring topics in comment embeddings, found without being told how many there are.

Pure batch functions, no database access. Input: L2-normalised sentence embeddings (384-d
all-MiniLM-L6-v2 from :func:`sounding.analysis.embed.embed`) and the texts they came from.

Pipeline of :func:`fit_themes` (every step injectable, BERTopic-style)::

    assign to existing themes  ->  reducer  ->  clusterer  ->  labeller / namer  ->  representatives
    (cosine >= assign_threshold)  (optional)   (k-NN graph +      (c-TF-IDF on the     (members nearest
                                               Leiden, k found)    theme's texts)       the centroid)

* Every comment gets a theme index or ``-1`` ("unclustered": in a group smaller than
  ``min_theme_size``, or beyond the discovery sample and near no theme). Nothing is dropped;
  :attr:`ThemeResult.unclustered_share` reports the share.
* Stable ids: a new theme's ``key`` is derived from the sorted hashes of its member texts, and the
  points are processed in an order fixed by those hashes, so the same data gives the same themes
  and keys whatever the input order (seeded, deterministic). Given ``existing`` themes, comments
  close to one (cosine to its centroid >= ``assign_threshold``) join it and keep its key; the rest
  are clustered into new themes.
* Scale: discovery runs on at most ``max_discovery_sample`` comments (a hash-ordered, hence
  deterministic and content-random, sample); the others are assigned to the nearest theme, and
  those still unassigned are sampled again (``max_rounds``). The k-NN graph is built block-wise:
  no ``n x n`` matrix.

Usage::

    first = fit_themes(emb, texts)                                  # batch 1
    nxt = fit_themes(emb2, texts2, existing=first.themes)           # batch 2: old keys kept
    labels = assign(emb3, nxt.themes)                               # assign only (no new themes)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from sounding.analysis.themes_graph import KMeansMerge, KnnLeiden, centroids, default_clusterer, drop_small
from sounding.analysis.themes_label import CTfidfLabeller, short_name, topic_names
from sounding.analysis.themes_members import _norm_text, drop_lonely, member_stats, people_sets, prune
from sounding.analysis.themes_members import quotes as pick_quotes
from sounding.analysis.themes_merge import merge_existing, merge_groups

__all__ = [
    "ASSIGN_THRESHOLD",
    "CTfidfLabeller",
    "KMeansMerge",
    "KnnLeiden",
    "Theme",
    "ThemeConfig",
    "ThemeResult",
    "assign",
    "fit_themes",
    "member_stats",
    "short_name",
]

#: Default cosine similarity to an existing theme's centroid needed to join it. On Banking77 train,
#: 95 % of members sit at >= 0.60 from their own theme's centroid, and comments from another
#: domain (TwACS airline tweets) at <= 0.42 from any banking theme (90th percentile).
ASSIGN_THRESHOLD = 0.5
#: Ties between intents go to the more actionable one (the lesson's verb uses the same order).
INTENT_PRIORITY = ("problem", "suggestion", "question", "praise", "other")


class Clusterer(Protocol):
    def fit_predict(self, X: np.ndarray) -> np.ndarray: ...


class Reducer(Protocol):
    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


@dataclass
class Theme:
    """One theme. ``representatives`` are indices into the texts of the call that returned it."""

    key: str
    centroid: np.ndarray
    size: int
    top_words: list[str]
    name: str
    representatives: list[int] = field(default_factory=list)
    #: Up to ``n_representatives`` quotes, kept across runs (indices are only valid for one call).
    representative_texts: list[str] = field(default_factory=list)
    #: Members of this theme in the current call (``size`` is the running total).
    batch_size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "centroid": [float(x) for x in np.asarray(self.centroid, dtype=np.float32)],
            "size": int(self.size),
            "top_words": list(self.top_words),
            "name": self.name,
            "representatives": [int(i) for i in self.representatives],
            "representative_texts": list(self.representative_texts),
            "batch_size": int(self.batch_size),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Theme:
        return cls(
            key=d["key"],
            centroid=np.asarray(d["centroid"], dtype=np.float32),
            size=int(d["size"]),
            top_words=list(d.get("top_words", [])),
            name=d.get("name", ""),
            representatives=[],  # indices of another call are meaningless here
            representative_texts=list(d.get("representative_texts", [])),
            batch_size=0,
        )


@dataclass
class ThemeResult:
    #: Per input row: index into :attr:`themes`, or -1 (unclustered).
    labels: np.ndarray
    #: Existing themes first (same order as given, also those without new members), then new ones
    #: by size (largest first).
    themes: list[Theme]
    #: Seconds per step: ``assign``, ``cluster`` (reducer + clusterer + assigning the non-sampled),
    #: ``label``, ``total``.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def unclustered_share(self) -> float:
        return float((self.labels < 0).mean()) if len(self.labels) else 0.0

    #: Keys of the themes created by this call.
    new_keys: list[str] = field(default_factory=list)
    #: Existing themes merged in this call: key -> key of the surviving theme (members moved there).
    merged: dict[str, str] = field(default_factory=dict)

    @property
    def new_themes(self) -> list[Theme]:
        new = set(self.new_keys)
        return [t for t in self.themes if t.key in new]


@dataclass
class ThemeConfig:
    assign_threshold: float = ASSIGN_THRESHOLD
    #: A newly found group whose centroid is at least this similar to an existing theme joins it.
    merge_threshold: float = 0.85
    #: Groups of one call whose centroids are at least this similar are one theme (one lesson per
    #: topic), and so are stored themes whose centroids drift together (the smaller points to the larger).
    dedupe_threshold: float = 0.85
    #: Groups of one call are one theme when their centroids' cosine distance is at most this share of
    #: their members' own spread (1 - mean pairwise cosine), so the cut follows the data's density
    #: (``None``: the fixed ``dedupe_threshold`` instead). Chosen leaving one set out (docs/themes.md).
    dedupe_spread: float | None = 0.3
    #: With ``existing`` themes: cluster the whole batch first and match groups to existing themes
    #: by centroid (True), or first assign comment by comment and cluster only the rest (False).
    joint_discovery: bool = True
    #: A member whose cosine to the mean of the other members is below this is unclustered
    #: (Banking77 train, true intents: 1 % of members are below 0.39; unrelated comments: 0.1-0.4).
    min_member_similarity: float = 0.35
    #: A group whose mean pairwise cosine is below this is no theme (all its members unclustered).
    #: Banking77 train: every true intent >= 0.41; bags of unrelated comments: 0.02-0.11.
    min_cohesion: float = 0.3
    min_theme_size: int = 3
    #: With ``authors`` given: a group said by fewer distinct people is no theme (one person's topic).
    min_people: int = 2
    max_discovery_sample: int = 10_000
    max_rounds: int = 3
    n_words: int = 10
    #: Texts per theme fed to the labeller (bounds c-TF-IDF time and memory at 1M comments).
    label_docs_per_theme: int = 2_000
    n_representatives: int = 3
    #: Recompute top words / names of existing themes that received members (default: keep them,
    #: so names users have seen do not change under them).
    relabel_existing: bool = False
    seed: int = 0


def _order_key(text: str) -> str:
    """Rows are clustered in this order, so themes do not depend on the order texts arrive in.

    Not a storage key (that is :func:`sounding.store.writer.text_hash`); changing it reorders the
    clustering input and so moves borderline members."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def _unit_rows(embeddings: np.ndarray) -> np.ndarray:
    X = np.asarray(embeddings, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"embeddings must be 2-d, got shape {X.shape}")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if len(X) and np.all(np.abs(norms - 1.0) < 1e-3):
        return X  # already unit rows (embed() output): no copy
    return X / np.maximum(norms, 1e-12)


def _centroid_matrix(themes: Sequence[Theme], dim: int) -> np.ndarray:
    if not themes:
        return np.zeros((0, dim), dtype=np.float32)
    C = np.vstack([np.asarray(t.centroid, dtype=np.float32).reshape(1, -1) for t in themes])
    return C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)


def nearest(
    embeddings: np.ndarray,
    themes: Sequence[Theme],
    rows: np.ndarray | None = None,
    block: int = 65_536,
) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest theme centroid and its cosine similarity, per row (or per ``rows``).

    Block-wise: memory is ``block x dim`` plus ``block x themes``, whatever the number of rows.
    """
    E = np.asarray(embeddings, dtype=np.float32)
    if E.ndim != 2:
        raise ValueError(f"embeddings must be 2-d, got shape {E.shape}")
    rows = np.arange(len(E)) if rows is None else np.asarray(rows)
    n = len(rows)
    best = np.full(n, -1, dtype=np.int64)
    sim = np.full(n, -np.inf, dtype=np.float32)
    if not themes or n == 0:
        return best, sim
    C = _centroid_matrix(themes, E.shape[1])
    for start in range(0, n, block):
        B = E[rows[start : start + block]]
        B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-12)
        S = B @ C.T
        best[start : start + block] = S.argmax(axis=1)
        sim[start : start + block] = S.max(axis=1)
    return best, sim


def assign(
    embeddings: np.ndarray,
    existing: Sequence[Theme],
    threshold: float = ASSIGN_THRESHOLD,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Per row (or ``rows``): nearest centroid index in ``existing`` if cosine >= threshold, or -1."""
    best, sim = nearest(embeddings, existing, rows)
    return np.where(sim >= threshold, best, -1).astype(np.int64)


def fit_themes(
    embeddings: np.ndarray,
    texts: Sequence[str],
    existing: Sequence[Theme] | None = None,
    *,
    config: ThemeConfig | None = None,
    reducer: Reducer | None = None,
    clusterer: Clusterer | None = None,
    labeller: Callable[[list[list[str]]], list[list[str]]] | None = None,
    namer: Callable[[list[str]], str] | None = None,
    authors: Sequence[Any] | None = None,
    intents: Sequence[str] | None = None,
    phrase_embedder: Callable[[list[str]], np.ndarray] | None = None,
) -> ThemeResult:
    """Find themes in ``embeddings`` (one row per text); join ``existing`` themes where close enough.

    ``reducer``: optional, ``fit_transform(X)`` applied before clustering (e.g. ``PCA(50)``).
    ``clusterer``: ``fit_predict(X) -> labels`` with -1 for noise (default :class:`KnnLeiden`;
    sklearn's ``HDBSCAN`` or ``KMeans(n)`` work too). ``labeller``: texts per theme -> top terms
    (default :class:`CTfidfLabeller`). ``namer``: top terms -> name (default :func:`short_name`).
    ``authors``: optional, per row a person id (or a collection of ids, for a text several people
    wrote); a new group said by fewer than ``min_people`` people is unclustered. ``intents``:
    optional, per row; quotes are then taken from the members of the theme's most common intent, so
    a quote does not contradict the lesson's verb. ``phrase_embedder``: the embedder of
    ``embeddings``; names are then the candidate phrase nearest the centroid (KeyBERT-like).
    The caller's ``existing`` themes are not modified.
    """
    cfg = config or ThemeConfig()
    t_start = time.perf_counter()
    texts = [t if isinstance(t, str) else "" if t is None else str(t) for t in texts]
    E = np.asarray(embeddings, dtype=np.float32)
    X = _unit_rows(E if E.ndim == 2 else E.reshape(len(E), -1) if E.size else np.zeros((0, 1), np.float32))
    n = len(X)
    if n != len(texts):
        raise ValueError(f"{n} embeddings but {len(texts)} texts")
    clusterer = clusterer if clusterer is not None else default_clusterer(cfg.seed, cfg.min_theme_size)
    labeller = labeller if labeller is not None else CTfidfLabeller(n_words=cfg.n_words)
    namer = namer if namer is not None else short_name

    hashes = [_order_key(t) for t in texts]
    people = people_sets(authors, n)
    order = np.array(sorted(range(n), key=lambda i: (hashes[i], i)), dtype=np.int64)

    themes = [replace(t, representatives=[], batch_size=0) for t in (existing or [])]
    n_old = len(themes)
    old_sizes = [int(t.size) for t in themes]
    labels = np.full(n, -1, dtype=np.int64)
    timings = {"assign": 0.0, "cluster": 0.0, "label": 0.0}

    # 1. pointwise pre-assignment to existing themes (only when joint discovery is off)
    t0 = time.perf_counter()
    if themes and n and not cfg.joint_discovery:
        labels = assign(X, themes, cfg.assign_threshold)
    timings["assign"] = time.perf_counter() - t0

    # 2. discovery (bounded sample per round). A found group whose centroid is close to an existing
    # theme's (>= merge_threshold) joins it; the others become new themes. So a new topic next to an
    # old one is not swallowed comment by comment.
    t0 = time.perf_counter()
    t_assign = 0.0
    tried = np.zeros(n, dtype=bool)
    for _ in range(max(1, cfg.max_rounds)):
        rest = order[(labels[order] < 0) & ~tried[order]]
        if len(rest) < max(3, cfg.min_theme_size):
            break
        sample = rest[: cfg.max_discovery_sample]
        tried[sample] = True
        Z = X[sample]
        if reducer is not None:
            Z = np.asarray(reducer.fit_transform(Z), dtype=np.float32)
        raw = drop_small(np.asarray(clusterer.fit_predict(Z)), cfg.min_theme_size)
        raw = prune(X[sample], raw, cfg)
        raw = merge_groups(X[sample], raw, cfg.dedupe_threshold, cfg.dedupe_spread)
        if people is not None:
            raw = drop_lonely(raw, people[sample], cfg)
        C_new = centroids(X[sample], raw).astype(np.float32) if raw.max(initial=-1) >= 0 else []
        C_all = _centroid_matrix(themes, X.shape[1])
        for c in range(len(C_new)):
            members = sample[raw == c]
            target = -1
            if len(C_all):
                sims = C_all @ C_new[c]
                if sims.max() >= cfg.merge_threshold:
                    target = int(sims.argmax())
            if target < 0:
                member_hashes = sorted({hashes[i] for i in members})
                key = _unique_key(
                    "theme-" + hashlib.sha1("\n".join(member_hashes).encode()).hexdigest()[:12], themes
                )
                themes.append(Theme(key=key, centroid=C_new[c], size=0, top_words=[], name=""))
                target = len(themes) - 1
            labels[members] = target
        t1 = time.perf_counter()
        # the sample's leftovers may still join a theme that existed before this call
        noise = sample[raw < 0]
        if len(noise) and n_old:
            labels[noise] = assign(X, themes[:n_old], cfg.assign_threshold, rows=noise)
        # comments not in this round's sample: nearest theme when close enough, else next round
        outside = rest[len(sample) :]
        if len(outside) and themes:
            labels[outside] = assign(X, themes, cfg.assign_threshold, rows=outside)
        t_assign += time.perf_counter() - t1
    # never sampled (a remainder too small to cluster, or rounds exhausted): nearest theme if close enough
    left = order[(labels[order] < 0) & ~tried[order]]
    if len(left) and themes:
        t1 = time.perf_counter()
        labels[left] = assign(X, themes, cfg.assign_threshold, rows=left)
        t_assign += time.perf_counter() - t1
    timings["assign"] += t_assign
    timings["cluster"] = time.perf_counter() - t0 - t_assign

    # existing themes drifted together: the smaller one's members move to the larger
    merged: dict[str, str] = {}
    if n_old > 1:
        drift = merge_existing([t.centroid for t in themes[:n_old]], old_sizes, cfg.dedupe_threshold)
        for loser, survivor in drift.items():
            labels[labels == loser] = survivor
            old_sizes[survivor] += old_sizes[loser]
            merged[themes[loser].key] = themes[survivor].key

    # 3. centroids and sizes
    # members of theme j, in canonical (hash) order: groups[j]
    by_label = order[np.argsort(labels[order], kind="stable")]
    cuts = np.searchsorted(labels[by_label], np.arange(len(themes) + 1))
    groups = [by_label[cuts[j] : cuts[j + 1]] for j in range(len(themes))]
    new_members = [len(g) for g in groups]
    for j, theme in enumerate(themes):
        idx = np.sort(groups[j])
        theme.batch_size = len(idx)
        if j < n_old:
            theme.size = old_sizes[j] + int(new_members[j])
            if len(idx):
                total = np.asarray(theme.centroid, dtype=np.float64) * old_sizes[j] + X[idx].sum(axis=0)
                theme.centroid = (total / max(np.linalg.norm(total), 1e-12)).astype(np.float32)
        else:
            theme.size = len(idx)
            m = X[idx].mean(axis=0)
            theme.centroid = (m / max(np.linalg.norm(m), 1e-12)).astype(np.float32)

    # 4. labels (c-TF-IDF over all themes that have texts in this call or stored quotes)
    t0 = time.perf_counter()
    # at most label_docs_per_theme texts per theme (hash order: a deterministic, content-random sample)
    docs = [
        [texts[i] for i in groups[j][: cfg.label_docs_per_theme]]
        + list(t.representative_texts if j < n_old else [])
        for j, t in enumerate(themes)
    ]
    to_label = [
        j for j in range(len(themes)) if j >= n_old or (cfg.relabel_existing and themes[j].batch_size)
    ]
    if to_label:
        words = labeller(docs)
        for j in to_label:
            themes[j].top_words = list(words[j])
            themes[j].name = namer(themes[j].top_words)
        if phrase_embedder is not None and namer is short_name:
            names = topic_names([words[j] for j in to_label], [docs[j] for j in to_label],
                                [themes[j].centroid for j in to_label], phrase_embedder)
            for j, name in zip(to_label, names, strict=True):
                themes[j].name = name
    timings["label"] = time.perf_counter() - t0

    # representatives: after naming, so a quote says the theme's words ("Dude wtf !!!!" is near the
    # centroid of a customer-service theme but says nothing about it)
    for j, theme in enumerate(themes):
        idx = np.sort(groups[j])
        if not len(idx):
            continue
        words = [theme.name, *theme.top_words[:3]]
        reps = pick_quotes(X, idx, theme.centroid, texts, cfg.n_representatives, intents, INTENT_PRIORITY, words)
        theme.representatives = reps
        quotes = [texts[i] for i in reps]
        for q in theme.representative_texts:  # top up with older quotes
            if len(quotes) >= cfg.n_representatives:
                break
            if _norm_text(q) not in {_norm_text(x) for x in quotes}:
                quotes.append(q)
        theme.representative_texts = quotes

    # 5. order: existing first, new by size desc then key
    new_order = sorted(range(n_old, len(themes)), key=lambda j: (-themes[j].size, themes[j].key))
    perm = list(range(n_old)) + new_order
    remap = np.full(len(themes) + 1, -1, dtype=np.int64)
    for new_index, old_index in enumerate(perm):
        remap[old_index] = new_index
    labels = np.where(labels >= 0, remap[labels], -1)
    themes = [themes[j] for j in perm]
    timings["total"] = time.perf_counter() - t_start
    return ThemeResult(
        labels=labels,
        themes=themes,
        timings={k: round(v, 4) for k, v in timings.items()},
        new_keys=[t.key for t in themes[n_old:]],
        merged=merged,
    )


def _unique_key(key: str, themes: Sequence[Theme]) -> str:
    taken = {t.key for t in themes}
    if key not in taken:
        return key
    i = 2
    while f"{key}-{i}" in taken:
        i += 1
    return f"{key}-{i}"

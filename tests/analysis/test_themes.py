"""Themes: planted theme found and named, nothing dropped, stable keys, incremental batches.

Fast (a few seconds): small synthetic comment sets embedded with the real ``embed()``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sounding.analysis.themes import (
    KMeansMerge,
    Theme,
    ThemeConfig,
    assign,
    fit_themes,
    short_name,
)
from sounding.analysis.themes_graph import drop_small, knn
from sounding.analysis.themes_label import CTfidfLabeller

DARK = [
    "Please add a dark mode, the white screen hurts my eyes at night",
    "Any plans for dark mode? I use the app in bed",
    "Dark mode when?? The bright background is blinding",
    "I would love a dark theme option for the app",
    "Can you please give us a night mode / dark mode",
    "The app really needs dark mode, my eyes burn",
    "Still waiting for dark mode on android",
    "Dark mode please! Everything else is great",
]

OTHERS = [
    "Shipping took three weeks, way too slow",
    "My package arrived damaged and the box was crushed",
    "Customer support never answered my email",
    "The price went up again, this is getting expensive",
    "Love the new recipe, tastes amazing",
    "Can I pay with PayPal?",
    "The login keeps failing with an error code",
    "Great video, the editing is superb",
    "Who is the singer in the background music?",
    "I was charged twice for the same order",
    "How do I cancel my subscription?",
    "The battery drains really fast after the update",
    "Is there a student discount?",
    "Your store in Berlin was closed during opening hours",
    "The size chart is wrong, the shoes are too small",
    "Congrats on the anniversary, ten years already!",
    "The podcast audio is too quiet",
    "Can you ship to Canada?",
    "My refund still has not arrived",
    "The coffee was cold when it was delivered",
    "What camera did you use for this shot?",
    "The instructions were confusing to follow",
    "I miss the old logo",
    "Is this product vegan?",
    "The website is very slow on my phone",
    "Thanks for the quick reply yesterday",
    "The hotel room was dirty",
    "When is the next giveaway?",
    "Your ads are everywhere, it is annoying",
    "The game crashes on level five",
]


@pytest.fixture(scope="module")
def embed():
    from sounding.analysis.embed import embed as _embed

    return _embed


@pytest.fixture(scope="module")
def batch(embed):
    texts = DARK + OTHERS
    # interleave so the planted theme is not a contiguous block
    rng = np.random.default_rng(7)
    order = rng.permutation(len(texts))
    texts = [texts[i] for i in order]
    return texts, embed(texts)


def _dark_theme(result, texts):
    dark_idx = [i for i, t in enumerate(texts) if t in DARK]
    labels = result.labels[dark_idx]
    labels = labels[labels >= 0]
    assert len(labels), "no dark-mode comment is in a theme"
    return int(np.bincount(labels).argmax()), dark_idx


def test_planted_theme_is_found_and_named(batch):
    texts, emb = batch
    result = fit_themes(emb, texts)
    j, dark_idx = _dark_theme(result, texts)
    theme = result.themes[j]
    members = set(np.flatnonzero(result.labels == j).tolist())
    assert len(members & set(dark_idx)) >= 6
    assert len(members - set(dark_idx)) <= 2  # mostly dark-mode comments
    words = " ".join(theme.top_words[:3] + [theme.name]).lower()
    assert "dark" in words or "mode" in words, (theme.name, theme.top_words)
    assert theme.size == theme.batch_size == len(members)


def test_every_comment_has_a_theme_or_is_unclustered(batch):
    texts, emb = batch
    result = fit_themes(emb, texts)
    assert result.labels.shape == (len(texts),)
    assert result.labels.min() >= -1 and result.labels.max() < len(result.themes)
    assert sum(t.batch_size for t in result.themes) + int((result.labels < 0).sum()) == len(texts)
    assert result.unclustered_share == pytest.approx(float((result.labels < 0).mean()))
    assert all(t.size >= 3 for t in result.themes)  # min_theme_size


def test_rerun_gives_identical_themes_and_keys(batch):
    texts, emb = batch
    a = fit_themes(emb, texts)
    b = fit_themes(emb.copy(), list(texts))
    assert [t.key for t in a.themes] == [t.key for t in b.themes]
    assert np.array_equal(a.labels, b.labels)
    assert [t.name for t in a.themes] == [t.name for t in b.themes]
    # input order does not matter either: same keys, same members per key
    perm = np.random.default_rng(3).permutation(len(texts))
    c = fit_themes(emb[perm], [texts[i] for i in perm])
    members = lambda r, tx: {
        t.key: sorted(tx[i] for i in np.flatnonzero(r.labels == j)) for j, t in enumerate(r.themes)
    }
    assert members(a, texts) == members(c, [texts[i] for i in perm])


def test_new_batch_keeps_old_keys_and_joins_existing_theme(batch, embed):
    texts, emb = batch
    first = fit_themes(emb, texts)
    j, _ = _dark_theme(first, texts)
    dark_key = first.themes[j].key
    snapshot = [(t.key, t.size, t.centroid.copy()) for t in first.themes]

    new_texts = [
        "Dark mode would make this app perfect",
        "Is a dark mode coming soon? My eyes hurt at night",
        "The parking lot at your store is always full",
        "Shipping took forever this time, three weeks again",
    ]
    second = fit_themes(embed(new_texts), new_texts, existing=first.themes)
    # caller's themes untouched
    assert [(t.key, t.size) for t in first.themes] == [(k, s) for k, s, _ in snapshot]
    assert all(np.array_equal(t.centroid, c) for t, (_, _, c) in zip(first.themes, snapshot))
    # old keys first, same order
    assert [t.key for t in second.themes[: len(first.themes)]] == [k for k, _, _ in snapshot]
    keys = [second.themes[label].key if label >= 0 else None for label in second.labels]
    assert keys[0] == dark_key and keys[1] == dark_key
    dark = second.themes[[t.key for t in second.themes].index(dark_key)]
    assert dark.size == first.themes[j].size + dark.batch_size
    assert set(dark.representatives) <= {0, 1}
    # representatives of themes without members in this batch are empty (indices are per call)
    for t in second.themes:
        if t.batch_size == 0:
            assert t.representatives == []
    # assign-only path agrees
    labels = assign(embed(new_texts[:2]), second.themes)
    assert [second.themes[i].key for i in labels] == [dark_key, dark_key]


def test_new_batch_forms_a_new_theme(batch, embed):
    texts, emb = batch
    first = fit_themes(emb, texts)
    new_texts = [
        "The recipe needs more garlic",
        "Too much garlic in the sauce this time",
        "Garlic bread was the best part of the meal",
        "Could you make a version without garlic?",
        "Who is the singer in the background music?",
    ]
    second = fit_themes(embed(new_texts), new_texts, existing=first.themes)
    assert len(second.new_keys) >= 1
    garlic = {int(second.labels[i]) for i in range(4)}
    assert len(garlic) == 1 and -1 not in garlic
    theme = second.themes[garlic.pop()]
    assert theme.key in second.new_keys and "garlic" in theme.name
    old = {t.key for t in first.themes}
    assert all(k not in old for k in second.new_keys)


def test_representatives_are_distinct_members(batch):
    texts, emb = batch
    texts = list(texts) + [DARK[0], DARK[0].upper()]  # duplicates must not repeat as quotes
    emb = np.vstack([emb, emb[[texts.index(DARK[0])] * 2]])
    result = fit_themes(emb, texts)
    for j, theme in enumerate(result.themes):
        members = set(np.flatnonzero(result.labels == j).tolist())
        assert 1 <= len(theme.representatives) <= 3
        assert set(theme.representatives) <= members
        quotes = [" ".join(texts[i].lower().split()) for i in theme.representatives]
        assert len(set(quotes)) == len(quotes)
        assert theme.representative_texts == [texts[i] for i in theme.representatives]


def test_injectable_steps(batch):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    texts, emb = batch
    seen = {}

    def labeller(docs):
        seen["docs"] = len(docs)
        return [["custom"] for _ in docs]

    result = fit_themes(
        emb,
        texts,
        reducer=PCA(10, random_state=0),
        clusterer=KMeans(4, n_init=1, random_state=0),
        labeller=labeller,
        namer=lambda words: "-".join(words),
    )
    assert seen["docs"] == len(result.themes) <= 4
    assert all(t.name == "custom" for t in result.themes)
    fallback = fit_themes(emb, texts, clusterer=KMeansMerge())
    assert (fallback.labels >= -1).all() and len(fallback.themes) >= 1


def test_serialisation_round_trip(batch):
    texts, emb = batch
    result = fit_themes(emb, texts)
    again = [Theme.from_dict(t.to_dict()) for t in result.themes]
    assert [t.key for t in again] == [t.key for t in result.themes]
    np.testing.assert_allclose(again[0].centroid, result.themes[0].centroid, atol=1e-6)
    # re-fitting the same comments against the stored themes keeps every key and creates none
    rerun = fit_themes(emb, texts, existing=again)
    assert rerun.new_keys == []
    assert [t.key for t in rerun.themes] == [t.key for t in result.themes]


def test_edge_cases():
    empty = fit_themes(np.zeros((0, 384), np.float32), [])
    assert empty.labels.shape == (0,) and empty.themes == [] and empty.unclustered_share == 0.0
    one = fit_themes(np.ones((1, 384), np.float32), ["hello"])
    assert one.labels.tolist() == [-1] and one.unclustered_share == 1.0
    with pytest.raises(ValueError):
        fit_themes(np.ones((2, 384), np.float32), ["a"])
    assert assign(np.ones((2, 384), np.float32), []).tolist() == [-1, -1]


def test_helpers():
    assert drop_small(np.array([0, 0, 0, 1, 2, 2, 2, -1]), 3).tolist() == [0, 0, 0, -1, 1, 1, 1, -1]
    X = np.eye(4, dtype=np.float32)
    X[1] = X[0] * 0.9 + X[1] * 0.1
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    idx, _sim = knn(X, 1, block=2)
    assert idx[0, 0] == 1 and idx[1, 0] == 0
    assert short_name(["dark", "dark mode", "night"]) == "dark mode / night"
    words = CTfidfLabeller()(
        [["dark mode please", "dark mode now"], ["shipping slow", "slow shipping again"]]
    )
    assert words[0][0].startswith("dark") and "shipping" in words[1][0]
    assert ThemeConfig().assign_threshold == 0.5


def test_near_duplicate_groups_are_merged():
    """Two groups whose centroids are closer than the dedupe threshold become one; others stay apart."""
    from sounding.analysis.themes_merge import merge_groups

    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16))
    base[1] = base[0] + 0.1 * rng.normal(size=16)  # a near-duplicate of group 0
    X = np.vstack([b + 0.05 * rng.normal(size=(5, 16)) for b in base])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = np.repeat([0, 1, 2], 5)
    merged = merge_groups(X, labels, threshold=0.9)
    assert len(set(merged[:10].tolist())) == 1 and merged[10] != merged[0]
    assert np.array_equal(merge_groups(X, labels, threshold=1.0), labels)


def test_stored_duplicates_merge_into_the_larger_and_keep_their_key(store):
    """Existing themes that drifted together: the smaller points to the larger; its key still resolves."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from sounding.analysis.themes_step import _record_merges, resolve_theme
    from sounding.store.models import Theme as ThemeRow

    c = np.ones(8, dtype=np.float32) / np.sqrt(8)
    big = Theme("theme-big", c, 10, ["bags"], "bags")
    small = Theme("theme-small", c + np.float32(0.01), 4, ["luggage"], "luggage")
    other = Theme("theme-other", -c, 5, ["seats"], "seats")
    X = np.vstack([c, -c, c])
    result = fit_themes(X, ["a bag", "a seat", "my bag"], existing=[big, small, other])
    assert result.merged == {"theme-small": "theme-big"}
    assert [t.key for t in result.themes[:3]] == ["theme-big", "theme-small", "theme-other"]  # nothing renamed

    ids = {}
    with store.transaction() as conn:
        for t in (big, small, other):
            ids[t.key] = conn.execute(insert(ThemeRow).values(
                key=t.key, name=t.name, top_words=t.top_words, centroid=t.centroid.tobytes(), size=t.size,
                model_version="v", updated_at=datetime.now(UTC)).returning(ThemeRow.id)).scalar_one()
    _record_merges(store, result.merged, ids)
    assert resolve_theme(store, "theme-small") == ids["theme-big"]
    assert resolve_theme(store, "theme-other") == ids["theme-other"]
    with store.engine.connect() as conn:
        assert conn.execute(select(ThemeRow.merged_into).where(ThemeRow.key == "theme-small")).scalar() == ids["theme-big"]


def test_spread_relative_merge_follows_the_groups_density():
    """The same centroid distance merges loose groups and keeps tight ones apart (dedupe_spread)."""
    from sounding.analysis.themes_merge import merge_groups

    rng = np.random.default_rng(1)

    def pair(noise: float, gap: float) -> tuple[np.ndarray, np.ndarray]:
        a = rng.normal(size=32)
        b = a + gap * rng.normal(size=32)
        X = np.vstack([c + noise * rng.normal(size=(20, 32)) for c in (a, b)])
        return X / np.linalg.norm(X, axis=1, keepdims=True), np.repeat([0, 1], 20)

    loose, labels = pair(noise=1.2, gap=0.6)
    tight, _ = pair(noise=0.3, gap=0.6)
    assert len(set(merge_groups(loose, labels, 1.0, spread=0.4).tolist())) == 1
    assert len(set(merge_groups(tight, labels, 1.0, spread=0.4).tolist())) == 2

"""Themes in the store: fit on a bounded sample, assign the rest page by page, keep keys stable.

The clustering itself is :mod:`sounding.analysis.themes` (pure functions). This module decides what
to feed it: texts without a theme decision are assigned to the nearest existing theme when close
enough; the ones left over (up to ``sample_size``) are clustered into new themes next to the
existing ones. Memory is bounded by the sample, not by the store, and a re-run on unchanged data
has nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import insert, select, update

from sounding.analysis import reader
from sounding.store import Store
from sounding.store.models import Theme as ThemeRow
from sounding.store.models import ThemeMember


@dataclass
class ThemeStep:
    """Default theme step; swap ``fit``/``assign`` for another clustering (BERTopic-style)."""

    sample_size: int = 50_000

    def fit(self, embeddings: np.ndarray, texts: list[str], existing: list):
        from sounding.analysis import themes

        return themes.fit_themes(embeddings, texts, existing=existing or None)

    def assign(self, embeddings: np.ndarray, existing: list) -> np.ndarray:
        from sounding.analysis import themes

        return themes.assign(embeddings, existing)


def _load_themes(store: Store) -> tuple[list, list[int]]:
    from sounding.analysis.themes import Theme

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(ThemeRow.id, ThemeRow.key, ThemeRow.centroid, ThemeRow.size, ThemeRow.top_words, ThemeRow.name)
            .order_by(ThemeRow.id)
        ).all()
    themes = [
        Theme(
            key=key,
            centroid=np.frombuffer(centroid, dtype=np.float32).copy(),
            size=size,
            top_words=list(top_words),
            name=name,
            representatives=[],
        )
        for _, key, centroid, size, top_words, name in rows
    ]
    return themes, [row[0] for row in rows]


def update_themes(store: Store, step: ThemeStep, version: str) -> tuple[int, int, int]:
    """Give every analysed text a theme or an explicit "unclustered"; returns (themed, new themes, unclustered)."""
    themes, ids = _load_themes(store)
    leftovers: list[tuple[list[str], np.ndarray]] = []
    left = themed = unclustered = 0
    for hashes, vectors in reader.unthemed_embeddings(store, version):
        if themes:
            labels = step.assign(vectors, themes)
            members = [(h, ids[label]) for h, label in zip(hashes, labels, strict=True) if label >= 0]
            _write_members(store, members)
            themed += len(members)
            keep = np.asarray(labels) < 0
            hashes = [h for h, k in zip(hashes, keep, strict=True) if k]
            vectors = vectors[keep]
        room = step.sample_size - left
        if room > 0 and hashes:
            leftovers.append((hashes[:room], vectors[:room]))
            left += min(room, len(hashes))
            hashes, vectors = hashes[room:], vectors[room:]
        if hashes:  # beyond the sample and near no theme: explicitly unclustered
            _write_members(store, [(h, None) for h in hashes])
            unclustered += len(hashes)
    if not leftovers:
        return themed, 0, unclustered
    hashes = [h for chunk, _ in leftovers for h in chunk]
    vectors = np.vstack([v for _, v in leftovers])
    texts_by_hash = reader.texts_for(store, hashes)
    result = step.fit(vectors, [texts_by_hash.get(h, "") for h in hashes], themes)
    known = {theme.key: theme_id for theme, theme_id in zip(themes, ids, strict=True)}
    now = datetime.now(UTC)
    new_themes = 0
    index_to_id: dict[int, int] = {}
    with store.transaction() as conn:
        for index, theme in enumerate(result.themes):
            values = {
                "name": theme.name,
                "top_words": list(theme.top_words),
                "centroid": np.asarray(theme.centroid, dtype=np.float32).tobytes(),
                "size": int(theme.size),
                "model_version": version[:64],
                "updated_at": now,
            }
            if theme.key in known:
                conn.execute(update(ThemeRow).where(ThemeRow.id == known[theme.key]).values(**values))
                index_to_id[index] = known[theme.key]
            else:
                index_to_id[index] = conn.execute(
                    insert(ThemeRow).values(key=theme.key, **values).returning(ThemeRow.id)
                ).scalar_one()
                new_themes += 1
    representatives = {hashes[i] for theme in result.themes for i in theme.representatives}
    members = []
    for h, label in zip(hashes, result.labels, strict=True):
        members.append((h, index_to_id[int(label)] if label >= 0 else None))
    _write_members(store, members, representatives)
    fitted_unclustered = sum(1 for _, theme_id in members if theme_id is None)
    return themed + len(members) - fitted_unclustered, new_themes, unclustered + fitted_unclustered


def _write_members(store: Store, members: list[tuple[str, int | None]], representatives: set[str] = frozenset()) -> None:
    if not members:
        return
    rows = [{"text_hash": h, "theme_id": t, "representative": h in representatives} for h, t in members]
    with store.transaction() as conn:
        conn.execute(store.writer._insert(ThemeMember.__table__).on_conflict_do_nothing(), rows)

"""Themes in the store: fit on a bounded sample, assign the rest page by page, keep keys stable.

The clustering itself is :mod:`sounding.analysis.themes` (pure functions). This module decides what
to feed it: a bounded sample of the texts without a theme decision is clustered together with the
existing themes (joining them or forming new ones); the rest is assigned page by page to the nearest
theme. Memory is bounded by the sample, not by the store, and a re-run on unchanged data has
nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import insert, select, update

from sounding import text_patterns
from sounding.analysis import reader
from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post, ThemeMember
from sounding.store.models import Theme as ThemeRow

MENTION_OR_LINK = text_patterns.MENTION_OR_URL


@dataclass
class ThemeStep:
    """Default theme step; swap ``fit``/``assign`` for another clustering (BERTopic-style)."""

    sample_size: int = 50_000
    #: The pipeline's text embedder: theme names are then scored against the centroid (KeyBERT-like).
    embed: object = None

    def fit(self, embeddings: np.ndarray, texts: list[str], existing: list, authors=None, intents=None):
        from sounding.analysis import themes

        # @handles and links say who was addressed, not what about: keep them out of theme words
        cleaned = [" ".join(MENTION_OR_LINK.sub(" ", text).split()) for text in texts]
        return themes.fit_themes(embeddings, cleaned, existing=existing or None, authors=authors,
                                 intents=intents, phrase_embedder=self.embed)

    def assign(self, embeddings: np.ndarray, existing: list) -> np.ndarray:
        from sounding.analysis import themes

        return themes.assign(embeddings, existing)


def _load_themes(store: Store) -> tuple[list, list[int]]:
    from sounding.analysis.themes import Theme

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(ThemeRow.id, ThemeRow.key, ThemeRow.centroid, ThemeRow.size, ThemeRow.top_words, ThemeRow.name)
            .where(ThemeRow.merged_into.is_(None))
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
    """Give every analysed text a theme or an explicit "unclustered"; returns (themed, new themes, unclustered).

    A sample of texts without a theme decision (the first ``sample_size`` in hash order, i.e. a
    pseudo-random sample) is clustered together with the existing themes, so a new topic close to an
    old one can still form its own theme; every text beyond the sample is then assigned to the nearest
    theme when close enough, else marked unclustered.
    """
    existing, ids = _load_themes(store)
    sample_hashes: list[str] = []
    sample_vectors: list[np.ndarray] = []
    for hashes, vectors in reader.unthemed_embeddings(store, version):
        room = step.sample_size - len(sample_hashes)
        sample_hashes += hashes[:room]
        sample_vectors.append(vectors[:room])
        if len(sample_hashes) >= step.sample_size:
            break
    if not sample_hashes:
        return 0, 0, 0
    texts_by_hash = reader.texts_for(store, sample_hashes)
    authors, intents = _authors_and_intents(store, sample_hashes, version)
    result = step.fit(np.vstack(sample_vectors), [texts_by_hash.get(h, "") for h in sample_hashes], existing,
                      authors=[authors.get(h, frozenset()) for h in sample_hashes],
                      intents=[intents.get(h, "other") for h in sample_hashes])
    known = dict(zip((t.key for t in existing), ids, strict=True))
    theme_ids = _save_themes(store, result.themes, known, version)
    _record_merges(store, result.merged, known)
    representatives = {sample_hashes[i] for theme in result.themes for i in theme.representatives}
    members = [(h, theme_ids[int(label)] if label >= 0 else None) for h, label in zip(sample_hashes, result.labels, strict=True)]
    _write_members(store, members, representatives)
    unclustered = sum(1 for _, theme_id in members if theme_id is None)
    themed = len(members) - unclustered
    for hashes, vectors in reader.unthemed_embeddings(store, version):  # beyond the sample
        labels = step.assign(vectors, result.themes)
        members = [(h, theme_ids[int(label)] if label >= 0 else None) for h, label in zip(hashes, labels, strict=True)]
        _write_members(store, members)
        lost = sum(1 for _, theme_id in members if theme_id is None)
        unclustered += lost
        themed += len(members) - lost
    return themed, len(result.themes) - len(existing), unclustered


def _authors_and_intents(store: Store, hashes: list[str], version: str) -> tuple[dict, dict]:
    """Who wrote each text (a set: identical texts can come from several people) and its intent."""
    authors: dict[str, set] = {}
    intents: dict[str, str] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            for model in (Comment, Post):
                query = select(model.text_hash, model.author).where(model.text_hash.in_(chunk), model.ours.is_(False))
                for h, author in conn.execute(query):
                    authors.setdefault(h, set()).add(author)
            query = select(Enrichment.text_hash, Enrichment.intent).where(
                Enrichment.text_hash.in_(chunk), Enrichment.model_version == version
            )
            intents.update(dict(conn.execute(query).all()))
    return {h: frozenset(a) for h, a in authors.items()}, intents


def _record_merges(store: Store, merged: dict[str, str], known: dict[str, int]) -> None:
    """A merged theme points to its survivor (its key stays valid) and hands it its members."""
    if not merged:
        return
    with store.transaction() as conn:
        for loser, survivor in merged.items():
            conn.execute(update(ThemeRow).where(ThemeRow.id == known[loser]).values(merged_into=known[survivor]))
            conn.execute(update(ThemeRow).where(ThemeRow.merged_into == known[loser]).values(merged_into=known[survivor]))
            conn.execute(update(ThemeMember).where(ThemeMember.theme_id == known[loser]).values(theme_id=known[survivor]))


def resolve_theme(store: Store, key: str) -> int | None:
    """The id of the theme a key names now: a merged theme's key resolves to its survivor."""
    with store.engine.connect() as conn:
        row = conn.execute(select(ThemeRow.id, ThemeRow.merged_into).where(ThemeRow.key == key)).first()
    if row is None:
        return None
    return row.merged_into or row.id


def _save_themes(store: Store, themes: list, known: dict[str, int], version: str) -> list[int]:
    """Insert new themes, update existing ones in place (ids and keys never change)."""
    now = datetime.now(UTC)
    theme_ids = []
    with store.transaction() as conn:
        for theme in themes:
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
                theme_ids.append(known[theme.key])
            else:
                theme_ids.append(
                    conn.execute(insert(ThemeRow).values(key=theme.key, **values).returning(ThemeRow.id)).scalar_one()
                )
    return theme_ids


def _write_members(store: Store, members: list[tuple[str, int | None]], representatives: set[str] = frozenset()) -> None:
    if not members:
        return
    rows = [{"text_hash": h, "theme_id": t, "representative": h in representatives} for h, t in members]
    with store.transaction() as conn:
        conn.execute(store.insert(ThemeMember.__table__).on_conflict_do_nothing(), rows)

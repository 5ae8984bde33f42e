"""A store whose analysis is written by hand: exact intents, sentiments and themes, no models.

The read-side views (learning value, segments, comment filters) only read enrichments, theme
members and lessons; writing those rows directly lets a test know every expected number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import insert, select

from sounding.analysis import lessons, views
from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post, Theme, ThemeMember

VERSION = "test-labels"


def label(store: Store, labels: Mapping[str, tuple[str, str, str | None]]) -> dict[str, int]:
    """``labels``: platform id -> (intent, sentiment, theme key or None). Returns theme key -> id.

    Writes the enrichments, themes and memberships, refreshes the lessons with the real ranking,
    and marks the version current (as ``sounding analyze`` would).
    """
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.engine.connect() as conn:
        hashes = {pid: h for model in (Post, Comment)
                  for pid, h in conn.execute(select(model.platform_id, model.text_hash).where(model.ours.is_(False)))}
    keys = sorted({theme for _, _, theme in labels.values() if theme})
    with store.transaction() as conn:
        theme_ids = {}
        for key in keys:
            theme_ids[key] = conn.execute(insert(Theme).values(
                key=key, name=key.removeprefix("theme-").replace("-", " "), top_words=key.split("-")[1:],
                size=0, model_version=VERSION, updated_at=now,
            )).inserted_primary_key[0]
        done = set()
        for pid, (intent, sentiment, theme) in labels.items():
            text_hash = hashes[pid]
            if text_hash in done:
                continue
            done.add(text_hash)
            conn.execute(insert(Enrichment).values(
                text_hash=text_hash, model_version=VERSION, sentiment=sentiment,
                sentiment_score={"negative": -0.8, "neutral": 0.0, "positive": 0.8}[sentiment],
                intent=intent, intent_score=0.9, lang="en", embedding=None,
            ))
            conn.execute(insert(ThemeMember).values(text_hash=text_hash, theme_id=theme_ids.get(theme),
                                                    representative=False))
    lessons.refresh_lessons(store, VERSION, now)
    views.set_current_version(store, VERSION)
    return theme_ids

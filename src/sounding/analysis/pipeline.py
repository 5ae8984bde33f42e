"""``sounding analyze``: texts → vectors → labels → themes → lessons, incrementally.

Every step is a pure batch function and injectable (:class:`Steps`), BERTopic-style: the defaults
are the offline models of this package, a test or a team can swap any of them. The store is read in
pages (:mod:`sounding.analysis.reader`), so memory stays flat and the same steps could run unchanged
on a distributed engine. Only texts not yet analysed with the current model version are processed;
results are cached by text hash, so a re-run on unchanged data does no model work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from sounding.analysis import reader
from sounding.store import Store
from sounding.store.models import Enrichment

Labels = tuple[Sequence[str], np.ndarray]


@dataclass
class Steps:
    """The injectable steps of the pipeline and the version string that keys their results."""

    embed: Callable[[Sequence[str]], np.ndarray]
    sentiment: Callable[[Sequence[str], np.ndarray], Labels]
    intent: Callable[[Sequence[str], np.ndarray], Labels]
    language: Callable[[Sequence[str]], Sequence[str]]
    themes: object  # sounding.analysis.themes_step.ThemeStep
    version: str


def default_steps(mode: str = "quality") -> Steps:
    """The bundled offline models. ``fast`` truncates comments harder (see docs/models.md)."""
    from sounding.analysis import classify, embed
    from sounding.analysis.themes_step import ThemeStep

    max_length = 64 if mode == "fast" else embed.MAX_LENGTH

    def embed_texts(texts: Sequence[str]) -> np.ndarray:
        return embed.embed(texts, max_length=max_length)

    version = f"{embed.EMBED_MODEL_VERSION}|{classify.CLASSIFIER_VERSION}"
    if mode == "fast":
        version += "|fast64"
    return Steps(embed_texts, classify.sentiment, classify.intent, classify.language, ThemeStep(), version[:64])


@dataclass
class AnalyzeReport:
    version: str
    enriched: int = 0
    themed: int = 0
    new_themes: int = 0
    unclustered: int = 0
    lessons: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def enrich(store: Store, steps: Steps, on_progress: Callable[[int], None] | None = None) -> int:
    """Sentiment, intent, language and embedding for every audience text not analysed yet."""
    done = 0
    table = Enrichment.__table__
    for page in reader.pending_texts(store, steps.version):
        hashes = [h for h, _ in page]
        texts = [t for _, t in page]
        vectors = steps.embed(texts)
        sentiments, sentiment_scores = steps.sentiment(texts, vectors)
        intents, intent_scores = steps.intent(texts, vectors)
        languages = steps.language(texts)
        rows = [
            {
                "text_hash": hashes[i],
                "model_version": steps.version,
                "sentiment": sentiments[i],
                "sentiment_score": float(sentiment_scores[i]),
                "intent": intents[i],
                "intent_score": float(intent_scores[i]),
                "lang": languages[i],
                "embedding": reader.encode_embedding(vectors[i]),
            }
            for i in range(len(page))
        ]
        with store.transaction() as conn:
            conn.execute(store.writer._insert(table).on_conflict_do_nothing(), rows)
        done += len(rows)
        if on_progress:
            on_progress(len(rows))
    return done


def analyze(
    store: Store,
    steps: Steps | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> AnalyzeReport:
    """Run every step that has pending work; a second run on unchanged data does nothing."""
    from sounding.analysis import lessons as lessons_module
    from sounding.analysis import themes_step

    steps = steps or default_steps()
    report = AnalyzeReport(version=steps.version)
    started = time.perf_counter()
    report.enriched = enrich(store, steps, (lambda n: on_progress("enrich", n)) if on_progress else None)
    report.seconds["enrich"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    outcome = themes_step.update_themes(store, steps.themes, steps.version)
    report.themed, report.new_themes, report.unclustered = outcome
    report.seconds["themes"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    if report.enriched or report.themed:
        report.lessons = lessons_module.refresh_lessons(store, steps.version, now=datetime.now(UTC))
    report.seconds["lessons"] = round(time.perf_counter() - started, 3)
    return report

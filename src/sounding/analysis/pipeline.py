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


@dataclass
class Labels:
    """What the classify step says about a batch: one entry per text."""

    sentiment: Sequence[str]  # negative / neutral / positive
    sentiment_score: np.ndarray  # polarity in [-1, 1]: P(positive) - P(negative)
    intent: Sequence[str]  # question / suggestion / problem / praise / other
    intent_score: np.ndarray  # probability of the chosen intent


@dataclass
class Steps:
    """The injectable steps of the pipeline and the version string that keys their results."""

    embed: Callable[[Sequence[str]], np.ndarray]
    classify: Callable[[Sequence[str], np.ndarray], Labels]
    language: Callable[[Sequence[str]], Sequence[str]]
    themes: object  # sounding.analysis.themes_step.ThemeStep
    version: str


def classify_with_heads(texts: Sequence[str], vectors: np.ndarray) -> Labels:
    """The bundled sentiment and intent heads (intent reuses the sentiment probabilities)."""
    from sounding.analysis import classify

    sentiments, sentiment_p = classify.sentiment(texts, vectors)
    intents, intent_p = classify.intent(texts, vectors, sentiment_scores=sentiment_p)
    polarity = sentiment_p[:, 2] - sentiment_p[:, 0] if len(texts) else np.zeros(0)
    return Labels(sentiments, polarity, intents, intent_p.max(axis=1) if len(texts) else np.zeros(0))


def default_steps(mode: str = "quality") -> Steps:
    """The bundled offline models: ``quality`` (MiniLM int8 ONNX, 384-d) or ``fast`` (static 64-d).

    Fast mode is several times quicker and weaker (see docs/models.md for both modes' numbers).
    """
    import hashlib

    from sounding.analysis import classify, embed, language
    from sounding.analysis.themes_step import ThemeStep

    if mode not in ("quality", "fast"):
        raise ValueError(f"mode must be 'quality' or 'fast', not {mode!r}")
    embed_texts = embed.embed_fast if mode == "fast" else embed.embed
    embedder = embed.EMBED_FAST_MODEL_VERSION if mode == "fast" else embed.EMBED_MODEL_VERSION
    parts = f"{embedder}|{classify.CLASSIFIER_VERSION}|{language.LANGUAGE_MODEL_VERSION}"
    # readable prefix + digest of everything that can change a result, within the 64-char column
    version = f"{mode}-{classify.CLASSIFIER_VERSION}-{hashlib.sha1(parts.encode()).hexdigest()[:12]}"
    return Steps(embed_texts, classify_with_heads, language.language, ThemeStep(embed=embed_texts), version)


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


def enrichment_rows(steps: Steps, hashes: Sequence[str], texts: Sequence[str], vectors: np.ndarray) -> list[dict]:
    """Classify and detect the language of one batch of embedded texts: the enrichment rows to write.

    Pure: the local engine and the Ray engine (:mod:`sounding.analysis.ray_engine`) both call it.
    """
    labels = steps.classify(texts, vectors)
    languages = steps.language(texts)
    return [
        {
            "text_hash": hashes[i],
            "model_version": steps.version,
            "sentiment": labels.sentiment[i],
            "sentiment_score": float(labels.sentiment_score[i]),
            "intent": labels.intent[i],
            "intent_score": float(labels.intent_score[i]),
            "lang": languages[i],
            "embedding": reader.encode_embedding(vectors[i]),
        }
        for i in range(len(texts))
    ]


def write_enrichments(store: Store, rows: list[dict]) -> None:
    """Insert-or-ignore on (text_hash, model_version): a retried or re-run batch adds nothing twice."""
    if rows:
        with store.transaction() as conn:
            conn.execute(store.insert(Enrichment.__table__).on_conflict_do_nothing(), rows)


def enrich(store: Store, steps: Steps, on_progress: Callable[[int], None] | None = None) -> int:
    """Sentiment, intent, language and embedding for every audience text not analysed yet."""
    done = 0
    for page in reader.pending_texts(store, steps.version):
        hashes = [h for h, _ in page]
        texts = [t for _, t in page]
        rows = enrichment_rows(steps, hashes, texts, steps.embed(texts))
        write_enrichments(store, rows)
        done += len(rows)
        if on_progress:
            on_progress(len(rows))
    return done


def analyze(
    store: Store,
    steps: Steps | None = None,
    on_progress: Callable[[str, int], None] | None = None,
    enricher: Callable[[Store, Steps, Callable[[int], None] | None], int] | None = None,
) -> AnalyzeReport:
    """Run every step that has pending work; a second run on unchanged data does nothing.

    ``enricher`` replaces the in-process :func:`enrich` (the Ray engine passes its own); themes and
    lessons always run here, on the enrichments it wrote.
    """
    from sounding.analysis import learning_store, themes_step
    from sounding.analysis import lessons as lessons_module

    steps = steps or default_steps()
    report = AnalyzeReport(version=steps.version)
    started = time.perf_counter()
    report.enriched = (enricher or enrich)(store, steps, (lambda n: on_progress("enrich", n)) if on_progress else None)
    report.seconds["enrich"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    outcome = themes_step.update_themes(store, steps.themes, steps.version)
    report.themed, report.new_themes, report.unclustered = outcome
    report.seconds["themes"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    if report.enriched or report.themed:
        report.lessons = lessons_module.refresh_lessons(store, steps.version, now=datetime.now(UTC))
    if report.enriched or report.themed or learning_store.stale(store, steps.version):
        learning_store.refresh(store, steps.version)  # the dashboard's timeline (counted with lessons)
    report.seconds["lessons"] = round(time.perf_counter() - started, 3)
    return report

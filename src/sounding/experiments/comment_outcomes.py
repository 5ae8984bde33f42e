"""Comment-level outcomes of a stored variant test: what the replies *said*, not only how many.

Once ``sounding analyze`` has labelled the replies, each variant gets three proportions over the
audience replies in its posts' threads (any depth, never ours) that the current analysis labelled:

* positive replies - sentiment ``positive``;
* suggestions - intent ``suggestion``;
* questions - intent ``question``, i.e. confusion: people had to ask.

successes = replies with that label, exposures = analysed replies. They are ordinary
:class:`~sounding.experiments.data.Proportion` data, so `sounding test report` analyses them with
the same beta-binomial / Welch machinery and corrects them together with the main metric.
The reply is the unit here; replies of one person or one thread are not independent, so read
these as descriptive unless each variant was posted several times (see docs/experiments.md).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, select

from sounding.experiments.data import Proportion
from sounding.experiments.stored import _experiment, _variants
from sounding.store import Store, models

#: metric name -> (enrichment column, label)
COMMENT_METRICS: dict[str, tuple[str, str]] = {
    "positive replies (share)": ("sentiment", "positive"),
    "suggestions (share)": ("intent", "suggestion"),
    "questions (share, confusion)": ("intent", "question"),
}


def comment_outcomes(store: Store, name: str, version: str | None = None) -> dict[str, list[Proportion]]:
    """Per comment metric, one Proportion per variant (control first); empty when nothing is
    analysed yet (no analysis version, or no analysed reply under any variant)."""
    if version is None:
        from sounding.analysis.views import current_version

        version = current_version(store)
    if version is None:
        return {}
    with store.session() as session:
        experiment = _experiment(session, name)
        variants = _variants(session, experiment.id)
        rows = session.execute(
            select(models.Post.variant_id, models.Enrichment.sentiment, models.Enrichment.intent)
            .join(models.Comment, models.Comment.post_id == models.Post.id)
            .join(
                models.Enrichment,
                and_(
                    models.Enrichment.text_hash == models.Comment.text_hash,
                    models.Enrichment.model_version == version,
                ),
            )
            .where(models.Post.variant_id.in_([v.id for v in variants]), models.Comment.ours.is_(False))
        ).all()
    if not rows:
        return {}
    exposures: Counter[int] = Counter()
    hits: dict[str, Counter[int]] = {metric: Counter() for metric in COMMENT_METRICS}
    for variant_id, sentiment, intent in rows:
        exposures[variant_id] += 1
        labels = {"sentiment": sentiment, "intent": intent}
        for metric, (column, label) in COMMENT_METRICS.items():
            if labels[column] == label:
                hits[metric][variant_id] += 1
    return {
        metric: [Proportion(v.name, exposures[v.id], hits[metric][v.id]) for v in variants]
        for metric in COMMENT_METRICS
    }

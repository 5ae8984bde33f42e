"""Comment-level outcomes of a stored variant test: what the replies *said*, counted per person.

Once ``sounding analyze`` has labelled the replies, each variant gets four proportions over the
**people** who replied in its posts' threads (any depth, never ours) with at least one reply the
current analysis labelled:

* positive - people with a reply of sentiment ``positive``;
* questions - people who asked (intent ``question``): confusion, they had to ask;
* suggestions - people with a reply of intent ``suggestion``;
* problems - people who reported a problem (intent ``problem``).

The unit is a person, as for votes: someone replying three times counts once in each share (they
count as "positive" if any of their replies is). successes = such people, exposures = people who
replied. Replies are counted too and reported beside them. They are ordinary
:class:`~sounding.experiments.data.Proportion` data, so `sounding test report` tests them (exactly,
at the sizes organic posts reach) and corrects them together with the main metric.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from sounding.experiments.data import Proportion
from sounding.experiments.stored import _experiment, _variants
from sounding.store import Store, models

#: metric name -> (enrichment column, label)
COMMENT_METRICS: dict[str, tuple[str, str]] = {
    "positive replies": ("sentiment", "positive"),
    "questions (confusion)": ("intent", "question"),
    "suggestions": ("intent", "suggestion"),
    "problems": ("intent", "problem"),
}
UNIT = "people who replied"


@dataclass(frozen=True)
class CommentOutcomes:
    """Per metric one Proportion per variant (people); replies and people per variant beside them."""

    metrics: dict[str, list[Proportion]] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)  # analysed audience replies per variant
    people: dict[str, int] = field(default_factory=dict)
    label_replies: dict[str, dict[str, int]] = field(default_factory=dict)  # metric -> variant -> replies

    def __bool__(self) -> bool:
        return bool(self.metrics)


def comment_outcomes(store: Store, name: str, version: str | None = None) -> CommentOutcomes:
    """Empty when nothing is analysed yet (no analysis version, or no analysed reply under any variant)."""
    if version is None:
        from sounding.analysis.views import current_version

        version = current_version(store)
    if version is None:
        return CommentOutcomes()
    with store.session() as session:
        experiment = _experiment(session, name)
        variants = _variants(session, experiment.id)
        rows = session.execute(
            select(
                models.Post.variant_id,
                models.Comment.platform,
                models.Comment.author,
                models.Enrichment.sentiment,
                models.Enrichment.intent,
            )
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
        return CommentOutcomes()
    replies: dict[int, int] = defaultdict(int)
    people: dict[int, set[tuple[str, str]]] = defaultdict(set)
    hits: dict[str, dict[int, set[tuple[str, str]]]] = {m: defaultdict(set) for m in COMMENT_METRICS}
    label_replies: dict[str, dict[int, int]] = {m: defaultdict(int) for m in COMMENT_METRICS}
    for variant_id, platform, author, sentiment, intent in rows:
        person = (platform, author)  # the store's pseudonym, per platform (as votes are counted)
        replies[variant_id] += 1
        people[variant_id].add(person)
        labels = {"sentiment": sentiment, "intent": intent}
        for metric, (column, label) in COMMENT_METRICS.items():
            if labels[column] == label:
                hits[metric][variant_id].add(person)
                label_replies[metric][variant_id] += 1
    return CommentOutcomes(
        metrics={
            metric: [Proportion(v.name, len(people[v.id]), len(hits[metric][v.id])) for v in variants]
            for metric in COMMENT_METRICS
        },
        replies={v.name: replies[v.id] for v in variants},
        people={v.name: len(people[v.id]) for v in variants},
        label_replies={m: {v.name: label_replies[m][v.id] for v in variants} for m in COMMENT_METRICS},
    )

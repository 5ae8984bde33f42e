"""Experiments kept in the store: create them, link posts, record outcomes, and load the
per-variant sufficient statistics that `analyze` needs. Polls are read from their latest snapshot.

Outcomes come from two places:
* `variant_outcomes` rows (e.g. a spreadsheet recorded with `sounding test record`), summed over
  rounds, for any metric kind;
* otherwise the posts linked to each variant: the latest observed count per post
  (replies, likes or reposts), analysed as a per-post mean. The post is the unit, which is the
  conservative choice when views of one post are not independent (see docs/experiments.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sounding.errors import ConflictError, NotFoundError
from sounding.experiments.data import KIND_OF, Mean, VariantData, validate_experiment
from sounding.experiments.errors import ExperimentDataError
from sounding.experiments.polls import PollOption, poll_results
from sounding.store import Store, models
from sounding.store.reactions import latest_per_post

POST_METRICS = ("replies", "likes", "reposts")
_FIELDS = {
    "proportion": ("exposures", "successes"),
    "mean": ("n", "sum", "sum_squares"),
    "rate": ("exposure_time", "count"),
}


@dataclass(frozen=True)
class ExperimentSummary:
    name: str
    status: str
    metric: str | None
    variants: list[str]
    posts: dict[str, int]
    outcome_metrics: list[str]


def create_experiment(
    store: Store,
    name: str,
    variants: Sequence[str],
    *,
    metric: str | None = None,
    hypothesis: str | None = None,
) -> int:
    """A running experiment with its variants; the first is the control."""
    names = [v.strip() for v in variants if v.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ExperimentDataError("an experiment needs at least two distinct variant names")
    with store.session() as session, session.begin():
        if session.scalars(select(models.Experiment).where(models.Experiment.name == name)).first():
            raise ConflictError(f"experiment {name!r} already exists")
        experiment = models.Experiment(
            name=name, hypothesis=hypothesis, metric=metric, status="running", created_at=datetime.now(UTC)
        )
        session.add(experiment)
        session.flush()
        session.add_all(
            models.Variant(experiment_id=experiment.id, name=v, position=i) for i, v in enumerate(names)
        )
        return experiment.id


def add_post(store: Store, name: str, variant: str, post: str) -> int:
    """Link a stored post (its id, or `platform:platform_id`) to a variant; returns the post id."""
    with store.session() as session, session.begin():
        target = _variant(session, name, variant)
        if post.isdigit():  # a store id; one too large for the column cannot exist
            row = session.get(models.Post, int(post)) if int(post) < 2**63 else None
        else:
            platform, _, platform_id = post.partition(":")
            row = session.scalars(
                select(models.Post).where(
                    models.Post.platform == platform, models.Post.platform_id == platform_id
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no stored post {post!r} (use its id or platform:platform_id)")
        row.variant_id = target.id
        return row.id


def record_outcomes(
    store: Store, name: str, data: Sequence[VariantData], *, metric: str, round: int = 1
) -> None:
    """Store one round of sufficient statistics per variant (replacing that round if present)."""
    kind = validate_experiment(data)
    with store.session() as session, session.begin():
        for item in data:
            target = _variant(session, name, item.variant)
            row = session.scalars(
                select(models.VariantOutcome).where(
                    models.VariantOutcome.variant_id == target.id,
                    models.VariantOutcome.metric == metric,
                    models.VariantOutcome.round == round,
                )
            ).first()
            if row is None:
                row = models.VariantOutcome(variant_id=target.id, metric=metric, round=round)
                session.add(row)
            for field in ("exposures", "successes", "n", "sum", "sum_squares", "exposure_time", "count"):
                setattr(row, field, getattr(item, field) if field in _FIELDS[kind] else None)


def load_variants(store: Store, name: str, metric: str | None = None) -> tuple[list[VariantData], str]:
    """The experiment's variants (control first) as sufficient statistics for `metric`."""
    with store.session() as session:
        experiment = _experiment(session, name)
        variants = _variants(session, experiment.id)
        metric = metric or experiment.metric
        outcomes = session.scalars(
            select(models.VariantOutcome).where(
                models.VariantOutcome.variant_id.in_([v.id for v in variants])
            )
        ).all()
        stored = sorted({o.metric for o in outcomes})
        if metric is None and len(stored) == 1:
            metric = stored[0]
        if metric in stored:
            return _from_outcomes(variants, [o for o in outcomes if o.metric == metric]), metric
        metric = metric or "replies"
        if metric not in POST_METRICS:
            raise NotFoundError(
                f"experiment {name!r} has no outcomes for {metric!r} "
                f"(recorded: {', '.join(stored) or 'none'}; from posts: {', '.join(POST_METRICS)})"
            )
        return _from_posts(session, variants, metric), metric


def summaries(store: Store) -> list[ExperimentSummary]:
    with store.session() as session:
        out = []
        for experiment in session.scalars(select(models.Experiment).order_by(models.Experiment.id)):
            variants = _variants(session, experiment.id)
            posts = dict(
                session.execute(
                    select(models.Variant.name, func.count(models.Post.id))
                    .join(models.Post, models.Post.variant_id == models.Variant.id)
                    .where(models.Variant.experiment_id == experiment.id)
                    .group_by(models.Variant.name)
                ).all()
            )
            metrics = session.scalars(
                select(models.VariantOutcome.metric)
                .distinct()
                .where(models.VariantOutcome.variant_id.in_([v.id for v in variants]))
            ).all()
            out.append(
                ExperimentSummary(
                    experiment.name,
                    experiment.status,
                    experiment.metric,
                    [v.name for v in variants],
                    {v.name: posts.get(v.name, 0) for v in variants},
                    sorted(metrics),
                )
            )
        return out


def stored_polls(store: Store) -> list[tuple[models.Post, list[PollOption]]]:
    """Every poll with its latest vote counts, analysed (Dirichlet shares, P(most preferred))."""
    with store.session() as session:
        latest = (
            select(models.PollSnapshot.poll_id, func.max(models.PollSnapshot.taken_at).label("taken_at"))
            .group_by(models.PollSnapshot.poll_id)
            .subquery()
        )
        rows = session.execute(
            select(models.Post, models.PollSnapshot)
            .join(models.Poll, models.Poll.post_id == models.Post.id)
            .join(models.PollSnapshot, models.PollSnapshot.poll_id == models.Poll.id)
            .join(
                latest,
                (latest.c.poll_id == models.PollSnapshot.poll_id)
                & (latest.c.taken_at == models.PollSnapshot.taken_at),
            )
            .order_by(models.Post.created_at)
        ).all()
        return [
            (post, poll_results({str(o): int(v) for o, v in zip(snap.options, snap.votes)}))
            for post, snap in rows
            if len(snap.options) >= 2
        ]


def _from_outcomes(
    variants: list[models.Variant], outcomes: list[models.VariantOutcome]
) -> list[VariantData]:
    by_variant: dict[int, list[models.VariantOutcome]] = defaultdict(list)
    for o in outcomes:
        by_variant[o.variant_id].append(o)
    kinds = {next(k for k, fields in _FIELDS.items() if getattr(o, fields[0]) is not None) for o in outcomes}
    if len(kinds) != 1:
        raise ExperimentDataError(f"outcomes mix metric kinds: {sorted(kinds)}")
    kind = kinds.pop()
    make = {kind_: cls for cls, kind_ in KIND_OF.items()}[kind]
    return [
        make(v.name, *(sum(getattr(o, f) for o in by_variant[v.id]) for f in _FIELDS[kind])) for v in variants
    ]


def _from_posts(session: Session, variants: list[models.Variant], metric: str) -> list[VariantData]:
    posts = select(models.Post.id).where(models.Post.variant_id.in_([v.id for v in variants]))
    latest = latest_per_post(session.execute(posts).scalars())
    counts = session.execute(
        select(models.Post.variant_id, latest.c[metric]).join(latest, latest.c.post_id == models.Post.id)
    ).all()
    values: dict[int, list[float]] = defaultdict(list)
    for variant_id, value in counts:
        if value is not None:
            values[variant_id].append(float(value))
    return [
        Mean(v.name, len(values[v.id]), sum(values[v.id]), sum(x * x for x in values[v.id])) for v in variants
    ]


def _experiment(session: Session, name: str) -> models.Experiment:
    experiment = session.scalars(select(models.Experiment).where(models.Experiment.name == name)).first()
    if experiment is None:
        raise NotFoundError(f"no experiment named {name!r}", hint="see `sounding test status`")
    return experiment


def _variants(session: Session, experiment_id: int) -> list[models.Variant]:
    return list(
        session.scalars(
            select(models.Variant)
            .where(models.Variant.experiment_id == experiment_id)
            .order_by(models.Variant.position)
        )
    )


def _variant(session: Session, name: str, variant: str) -> models.Variant:
    experiment = _experiment(session, name)
    found = session.scalars(
        select(models.Variant).where(
            models.Variant.experiment_id == experiment.id, models.Variant.name == variant
        )
    ).first()
    if found is None:
        raise NotFoundError(f"variant {variant!r} is not a variant of experiment {name!r}")
    return found

"""`Sounding(...).experiments`: the one core behind `sounding test`, `sounding poll` and `sounding ask`.

Each CLI command is one call here, so a script (or the REST API) gets exactly what the terminal
shows. The statistics stay pure functions over statistic objects; this object only fetches the
statistics from the store or a file and hands back reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sounding.errors import UsageError
from sounding.experiments.data import Mean, VariantData

if TYPE_CHECKING:  # the statistics pull in scipy; commands that never test anything should not pay
    from sounding.experiments.report import ExperimentReport
    from sounding.store import Store


@dataclass(frozen=True)
class StoredReport:
    """`test report`: the answer paragraph first, then the main metric and what the replies said."""

    experiment: str
    answer: str
    main: ExperimentReport
    main_comparable: bool  # False with one post per option: per-post counts cannot be tested
    comments: list[ExperimentReport]
    correction: str | None
    posts: dict[str, int]
    people: dict[str, int] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)
    label_replies: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self, comments: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"experiment": self.experiment, "answer": self.answer, **self.main.to_dict()}
        out["main_comparable"] = self.main_comparable
        out["posts"] = self.posts
        if comments:
            out["comment_metrics"] = [r.to_dict() for r in self.comments]
            out["correction"] = self.correction
            out["people"], out["replies"] = self.people, self.replies
            out["label_replies"] = self.label_replies
        return out


class Experiments:
    """Experiments, polls and questions over one store (`Sounding.experiments`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- tests run elsewhere -----------------------------------------------------------------
    @staticmethod
    def analyze_file(path: str | Path, metric: str | None = None, **options: Any) -> list[ExperimentReport]:
        """A CSV (one or several metrics): one report per metric, Holm across all of them."""
        from sounding.experiments.csv_input import read_metrics
        from sounding.experiments.report import analyze, analyze_metrics

        metrics = read_metrics(path)
        if len(metrics) == 1:
            return [
                analyze(next(iter(metrics.values())), metric=metric or next(iter(metrics)) or None, **options)
            ]
        unit = options.pop("unit", None)
        return analyze_metrics(metrics, units=dict.fromkeys(metrics, unit) if unit else {}, **options)

    # -- experiments kept in the store -------------------------------------------------------
    def create(self, name: str, variants: Sequence[str], *, metric: str | None = None,
               hypothesis: str | None = None) -> int:  # fmt: skip
        from sounding.experiments.stored import create_experiment

        return create_experiment(self.store, name, variants, metric=metric, hypothesis=hypothesis)

    def add_post(self, name: str, variant: str, post: str) -> int:
        from sounding.experiments.stored import add_post

        return add_post(self.store, name, variant, post)

    def record(self, name: str, path: str | Path, *, metric: str, round: int = 1) -> None:
        from sounding.experiments.csv_input import read_variants
        from sounding.experiments.stored import record_outcomes

        record_outcomes(self.store, name, read_variants(path), metric=metric, round=round)

    def status(self):
        from sounding.experiments.stored import summaries

        return summaries(self.store)

    def report(
        self,
        name: str,
        metric: str | None = None,
        *,
        comments: bool = True,
        correction: Literal["holm", "bh"] = "holm",
        **options: Any,
    ) -> StoredReport:
        """The stored experiment analysed: main metric plus (once analysed) what the replies said."""
        from sounding.experiments import comment_outcomes as co
        from sounding.experiments import summary
        from sounding.experiments.report import analyze_metrics
        from sounding.experiments.stored import POST_METRICS, load_variants, summaries

        if correction not in ("holm", "bh"):
            raise UsageError("--correction is holm or bh")
        variants, label = load_variants(self.store, name, metric)
        posts = next(s.posts for s in summaries(self.store) if s.name == name)
        per_post = label in POST_METRICS and all(isinstance(v, Mean) for v in variants)
        comparable = not per_post or all(v.units >= 2 for v in variants)
        outcomes = co.comment_outcomes(self.store, name) if comments else co.CommentOutcomes()
        extra = {k: v for k, v in outcomes.metrics.items() if k != label}
        units = {label: "posts" if per_post else None, **{k: co.UNIT for k in extra}}
        neutral = [k for k in extra if k != summary.LIKED]
        main, *others = analyze_metrics(
            {label: variants, **extra}, method=correction, units=units, neutral=neutral, **options
        )
        if not comparable:
            main = _one_post_per_option(main, variants)
        names = [v.variant for v in variants]
        answer = summary.answer(names, main, comparable, others, outcomes.people, posts)
        return StoredReport(
            experiment=name,
            answer=answer,
            main=main,
            main_comparable=comparable,
            comments=others,
            correction=correction if others else None,
            posts=posts,
            people=outcomes.people,
            replies=outcomes.replies,
            label_replies=outcomes.label_replies,
        )

    # -- polls and questions -----------------------------------------------------------------
    def polls(self):
        from sounding.experiments.stored import stored_polls

        return stored_polls(self.store)

    def question_results(self, question_id: int, **options: Any):
        from sounding.experiments.answers import question_results

        return question_results(self.store, question_id, **options)

    def questions(self) -> list[dict]:
        from sounding.experiments.ask import list_questions

        return list_questions(self.store)

    def plan_question(self, question: str, options: Sequence[str], on: Sequence[str],
                      accounts: Sequence[str] = (), *, dry_run: bool = False):  # fmt: skip
        """Validated question text, options and the accounts it would be posted to."""
        from sounding.experiments import ask

        text, clean = ask.validate_question(question, options)
        targets = ask.choose_targets(
            self.store.list_accounts(), list(on), list(accounts), allow_missing=dry_run
        )
        return text, clean, targets

    def ask(self, text: str, options: Sequence[str], targets: Sequence[Any], *, expires_in: int):
        """Record the question and publish it on every target; returns (question id, published)."""
        from sounding.experiments import ask

        question_id = ask.create_question(self.store, text, options)
        return question_id, ask.publish_question(self.store, question_id, targets, expires_in=expires_in)


def _one_post_per_option(report: ExperimentReport, variants: Sequence[VariantData]) -> ExperimentReport:
    """Per-post counts with a single post per option: say so plainly instead of 'no observations'."""
    from dataclasses import replace

    from sounding.experiments.verdict import Verdict

    counts = ", ".join(f"{v.variant} {int(v.sum):,}" for v in variants if isinstance(v, Mean))
    text = (
        f"{report.metric.capitalize()} per post cannot be compared yet: an option needs at least 2 posts "
        f"for a per-post test, and some have only one ({report.metric}: {counts}). What the replies said, "
        "below, is compared person by person instead"
    )
    return replace(report, verdict=Verdict("not_enough_data", text))

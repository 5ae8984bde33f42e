"""Comment-level outcomes in `sounding test report`: per variant, the share of people (not replies)
with a positive reply, a question, a suggestion, a problem, corrected with the main metric."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sounding.analysis.views import set_current_version
from sounding.experiments.comment_outcomes import COMMENT_METRICS, comment_outcomes
from sounding.experiments.frequentist import adjust_p_values
from sounding.store import models

T0 = datetime(2026, 3, 1, tzinfo=UTC)

# (sentiment, intent) of each audience reply; A: 2 posts, B: 2 posts.
LABELS = {
    "A": [("positive", "praise")] * 3 + [("neutral", "question")] * 9 + [("negative", "problem")] * 6,
    "B": [("positive", "praise")] * 12 + [("positive", "suggestion")] * 6 + [("neutral", "question")] * 2,
}
# Who wrote them: everyone once, except one fan under A (3 positive replies) and one person under B
# who asked twice. The unit is the person, so each of them counts once.
REPEATS = {"A": {0: "fan", 1: "fan", 2: "fan"}, "B": {18: "asker", 19: "asker"}}


def _author(variant: str, j: int, n: int) -> str:
    return REPEATS[variant].get(j, f"u{n}")


def _people(variant: str, index: int | None = None, label: str | None = None) -> int:
    """Distinct people under `variant` (with a reply whose label `index` is `label`)."""
    return len(
        {
            _author(variant, j, j)
            for j, pair in enumerate(LABELS[variant])
            if index is None or pair[index] == label
        }
    )


@pytest.fixture
def db(store, store_url, monkeypatch):
    monkeypatch.setenv("SOUNDING_DATABASE_URL", store_url)
    return store


def _seed(db, version: str | None = "v-test") -> None:
    """Posts linked to variants, replies (plus ours, plus unanalysed ones), enrichments at ``version``."""
    with db.session() as session, session.begin():
        experiment = models.Experiment(name="hook", status="running", created_at=T0)
        session.add(experiment)
        session.flush()
        variants = {
            name: models.Variant(experiment_id=experiment.id, name=name, position=i)
            for i, name in enumerate(("A", "B"))
        }
        session.add_all(variants.values())
        session.flush()
        n = 0
        for name, labels in LABELS.items():
            posts = []
            for k in range(2):
                post = models.Post(
                    platform="mastodon", platform_id=f"{name}{k}", ours=True, author="brand",
                    text=f"variant {name} #{k}", text_hash=f"post-{name}{k}", created_at=T0,
                    variant_id=variants[name].id,
                )  # fmt: skip
                session.add(post)
                posts.append(post)
            session.flush()
            for j, (sentiment, intent) in enumerate(labels):
                n += 1
                text_hash = f"h{n}"
                session.add(
                    models.Comment(
                        platform="mastodon", platform_id=f"c{n}", post_id=posts[j % 2].id,
                        author=_author(name, j, n),
                        text=f"reply {n}", text_hash=text_hash, created_at=T0 + timedelta(minutes=n),
                    )
                )  # fmt: skip
                if version:
                    session.add(
                        models.Enrichment(
                            text_hash=text_hash, model_version=version, sentiment=sentiment, intent=intent
                        )
                    )
            # Our own reply (never counted) and a reply not analysed yet (no exposure).
            session.add(
                models.Comment(
                    platform="mastodon", platform_id=f"ours-{name}", post_id=posts[0].id, ours=True,
                    author="brand", text="thanks!", text_hash=f"ours-{name}", created_at=T0,
                )
            )  # fmt: skip
            session.add(
                models.Comment(
                    platform="mastodon", platform_id=f"new-{name}", post_id=posts[1].id, author="late",
                    text="just arrived", text_hash=f"new-{name}", created_at=T0,
                )
            )  # fmt: skip
            if version:
                session.add(
                    models.Enrichment(
                        text_hash=f"ours-{name}", model_version=version, sentiment="positive", intent="praise"
                    )
                )
                # analysed by an older model only: not part of the current analysis
                session.add(
                    models.Enrichment(
                        text_hash=f"new-{name}",
                        model_version="old",
                        sentiment="positive",
                        intent="suggestion",
                    )
                )
    if version:
        set_current_version(db, version)


def test_comment_outcomes_count_people_once_and_replies_beside(db):
    _seed(db)
    outcomes = comment_outcomes(db, "hook")
    assert list(outcomes.metrics) == list(COMMENT_METRICS)
    assert outcomes.people == {"A": 16, "B": 19}  # 18 replies by 16 people; 20 replies by 19 people
    assert outcomes.replies == {"A": 18, "B": 20}
    for metric, (column, label) in COMMENT_METRICS.items():
        index = 0 if column == "sentiment" else 1
        for variant in outcomes.metrics[metric]:
            assert variant.exposures == _people(variant.variant)
            assert variant.successes == _people(variant.variant, index, label)
            assert outcomes.label_replies[metric][variant.variant] == sum(
                1 for pair in LABELS[variant.variant] if pair[index] == label
            )
    positive_a = next(v for v in outcomes.metrics["positive replies"] if v.variant == "A")
    assert (positive_a.successes, positive_a.exposures) == (1, 16)  # the fan's 3 replies count once


def test_report_shows_comment_metrics_corrected_with_the_main_metric(cli, db):
    _seed(db)
    out = cli("test", "report", "hook", "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["experiment"] == "hook" and report["correction"] == "holm"
    comments = {r["metric"]: r for r in report["comment_metrics"]}
    assert set(comments) == set(COMMENT_METRICS)
    positive = comments["positive replies"]
    assert positive["kind"] == "proportion" and positive["test"] == "barnard_exact"
    assert positive["unit"] == "people who replied"
    a, b = positive["variants"]
    assert (a["units"], b["units"]) == (16, 19)
    assert a["estimate"] == pytest.approx(1 / 16) and b["estimate"] == pytest.approx(18 / 19)
    assert b["p_best"] > 0.99 and positive["winner"] == "B"
    questions = comments["questions (confusion)"]
    assert questions["variants"][0]["estimate"] == pytest.approx(9 / 16)
    assert report["people"] == {"A": 16, "B": 19} and report["replies"] == {"A": 18, "B": 20}
    assert report["answer"].startswith(
        "People liked B better. B drew positive replies from 18 of 19 people who replied (95 %) against "
        "1 of 16 for A (6 %)"
    ), report["answer"]
    # Holm across every metric: the adjusted p-values are the Holm step-down of all raw ones.
    raw = [v["p_value"] for r in [report, *report["comment_metrics"]] for v in r["variants"][1:]]
    adjusted = [
        v["p_value_adjusted"] for r in [report, *report["comment_metrics"]] for v in r["variants"][1:]
    ]
    present = [i for i, p in enumerate(raw) if p is not None]
    expected = adjust_p_values(np.array([raw[i] for i in present]), "holm")
    assert [adjusted[i] for i in present] == pytest.approx(list(expected))

    bh = json.loads(cli("test", "report", "hook", "--json", "--correction", "bh").output)
    assert bh["correction"] == "bh"
    table = cli("test", "report", "hook")
    assert "What the replies said" in table.output and "positive replies" in table.output
    assert table.output.index("the answer") < table.output.index("What the replies said")
    plain = json.loads(cli("test", "report", "hook", "--json", "--no-comments").output)
    assert "comment_metrics" not in plain


def test_report_without_analysis_has_no_comment_metrics(cli, db):
    _seed(db, version=None)
    assert not comment_outcomes(db, "hook")
    report = json.loads(cli("test", "report", "hook", "--json").output)
    assert report["comment_metrics"] == [] and report["correction"] is None
    assert "sounding analyze" in cli("test", "report", "hook").output

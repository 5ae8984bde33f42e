"""Comment-level outcomes in `sounding test report`: per variant, the share of positive replies, of
suggestions and of questions among the analysed audience replies, corrected with the main metric."""

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

# (variant, sentiment, intent) of each audience reply; A: 2 posts, B: 2 posts.
LABELS = {
    "A": [("positive", "praise")] * 3 + [("neutral", "question")] * 9 + [("negative", "problem")] * 6,
    "B": [("positive", "praise")] * 12 + [("positive", "suggestion")] * 6 + [("neutral", "question")] * 2,
}


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
                        platform="mastodon", platform_id=f"c{n}", post_id=posts[j % 2].id, author=f"u{n}",
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


def test_comment_outcomes_count_analysed_audience_replies(db):
    _seed(db)
    outcomes = comment_outcomes(db, "hook")
    assert list(outcomes) == list(COMMENT_METRICS)
    for metric, (column, label) in COMMENT_METRICS.items():
        for variant in outcomes[metric]:
            labels = LABELS[variant.variant]
            assert variant.exposures == len(labels)
            index = 0 if column == "sentiment" else 1
            assert variant.successes == sum(1 for pair in labels if pair[index] == label)


def test_report_shows_comment_metrics_corrected_with_the_main_metric(cli, db):
    _seed(db)
    out = cli("test", "report", "hook", "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["experiment"] == "hook" and report["correction"] == "holm"
    comments = {r["metric"]: r for r in report["comment_metrics"]}
    assert set(comments) == set(COMMENT_METRICS)
    positive = comments["positive replies (share)"]
    assert positive["kind"] == "proportion"
    a, b = positive["variants"]
    assert (a["units"], b["units"]) == (18, 20)
    assert a["estimate"] == pytest.approx(3 / 18) and b["estimate"] == pytest.approx(18 / 20)
    assert b["p_best"] > 0.99  # B leads clearly (too few replies for the lift test to be sure)
    questions = comments["questions (share, confusion)"]
    assert questions["variants"][0]["estimate"] == pytest.approx(9 / 18)
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
    assert "What the replies said" in table.output and "positive replies (share)" in table.output
    plain = json.loads(cli("test", "report", "hook", "--json", "--no-comments").output)
    assert "comment_metrics" not in plain


def test_report_without_analysis_has_no_comment_metrics(cli, db):
    _seed(db, version=None)
    assert comment_outcomes(db, "hook") == {}
    report = json.loads(cli("test", "report", "hook", "--json").output)
    assert report["comment_metrics"] == [] and report["correction"] is None
    assert "sounding analyze" in cli("test", "report", "hook").output

"""Before/after a shipped decision: right in both directions, honest on tiny samples, calibrated on A/A."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from sounding.act import before_after, decisions
from sounding.act.before_after import Counts, compare
from sounding.errors import ConflictError
from sounding.records import CommentRecord, PostRecord
from tests.act.conftest import T0
from tests.analysis.labelled_store import label

SHIP = T0 + timedelta(days=30)


def _draw(rng, n, p_problem, p_negative, days=30.0):
    problem = rng.binomial(n, p_problem)
    return Counts(n, int(problem), int(rng.binomial(n, p_negative)), days)


def test_a_known_drop_is_better_and_a_known_rise_is_worse():
    rng = np.random.default_rng(1)
    hits = {"better": 0, "worse": 0}
    for _ in range(200):
        if compare(_draw(rng, 120, 0.6, 0.5), _draw(rng, 120, 0.25, 0.2))["verdict"] == "better":
            hits["better"] += 1
        if compare(_draw(rng, 120, 0.25, 0.2), _draw(rng, 120, 0.6, 0.5))["verdict"] == "worse":
            hits["worse"] += 1
    assert hits["better"] >= 190 and hits["worse"] >= 190, hits


def test_tiny_samples_say_not_enough_data():
    result = compare(Counts(4, 4, 4, 30), Counts(3, 0, 0, 30))
    assert result["verdict"] == "not enough data"
    assert "at least" in result["why"]


def test_no_change_says_no_change_at_the_stated_error_rate():
    """A/A: the same rates before and after, 1,000 runs: 'better' or 'worse' at most 5 % of the time.

    Holm over two exact tests holds the family-wise rate at 5 %; the bound allows Monte Carlo error
    (the 99 % upper binomial bound of 5 % over 1,000 runs is 6.8 %)."""
    rng = np.random.default_rng(7)
    false = 0
    for _ in range(1000):
        n_before, n_after = rng.integers(10, 50, size=2)
        p, q = rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6)
        verdict = compare(_draw(rng, int(n_before), p, q), _draw(rng, int(n_after), p, q))["verdict"]
        false += verdict in ("better", "worse", "mixed")
    assert false <= 68, false


def _community(store, before_problem: int, after_problem: int, n: int = 30):
    """n comments on a checkout theme before the ship date and n after, with the given problem counts."""
    records = [PostRecord("bluesky", "p", "brand", "How is checkout for you?", T0, ours=True)]
    labels = {}
    for side, problems, sign in (("b", before_problem, -1), ("a", after_problem, 1)):
        for i in range(n):
            cid = f"{side}{i}"
            when = SHIP + sign * timedelta(hours=12 * i + 1)
            records.append(CommentRecord("bluesky", cid, "p", f"person-{side}{i}", f"checkout note {side} {i}", when))
            is_problem = i < problems
            labels[cid] = ("problem" if is_problem else "praise", "negative" if is_problem else "positive",
                           "theme-checkout")
        # a theme no decision touches, steady on both sides
        for i in range(10):
            cid = f"o{side}{i}"
            records.append(CommentRecord("bluesky", cid, "p", f"other-{side}{i}", f"shipping {side} {i}",
                                         SHIP + sign * timedelta(hours=12 * i + 2)))
            labels[cid] = ("question", "neutral", "theme-shipping")
    store.write_records(records)
    label(store, labels)
    from sounding import Sounding

    api = Sounding(store=store)
    frame = api.lessons(quotes=False)
    lesson = int(frame.loc[frame["title"].str.contains("checkout"), "lesson"].iloc[0])
    d = decisions.decide(store, "Fix checkout", lessons=[lesson])
    decisions.set_status(store, d["id"], "shipped", at=SHIP)
    return d["id"]


def test_before_after_on_the_store_reads_a_fix(store):
    decision = _community(store, before_problem=22, after_problem=4)
    result = before_after.before_after(store, decision)
    assert result["verdict"] == "better", result["why"]
    assert result["before"]["comments"] == 30 and result["after"]["comments"] == 30
    assert result["control"]["verdict"] == "no change"


def test_before_after_needs_a_shipped_decision(community):
    api, _ = community
    d = decisions.decide(api.store, "Fix login", comments=["bluesky:at://brand/post/1/l0"])
    with pytest.raises(ConflictError):
        before_after.before_after(api.store, d["id"])


def test_a_decision_shipped_after_the_last_comment_is_named_in_its_verdict(community):
    api, _ = community
    frame = api.lessons(quotes=False)
    lesson = int(frame.loc[frame["title"].str.contains("dark mode"), "lesson"].iloc[0])
    d = decisions.decide(api.store, "Dark mode", lessons=[lesson])
    decisions.set_status(api.store, d["id"], "shipped")  # today: nothing said after it yet
    result = api.act.before_after(d["id"])
    assert result["verdict"] == "not enough data" and result["title"] == "Dark mode"
    assert result["why"] == "nothing was said after the ship date yet"

"""The answer paragraph of `test report` never says something its own tables contradict."""

from __future__ import annotations

from sounding.experiments import Mean, Proportion, analyze_metrics
from sounding.experiments.summary import answer

MEASURES = ["positive replies", "questions (confusion)", "suggestions", "problems"]


def _answer(counts: dict[str, list[int]], n: int = 30) -> str:
    metrics = {"replies": [Mean(v, 1, 60.0, 3600.0) for v in counts]}  # one post per option
    metrics |= {m: [Proportion(v, n, c[j]) for v, c in counts.items()] for j, m in enumerate(MEASURES)}
    main, *comments = analyze_metrics(
        metrics, units={m: "people who replied" for m in MEASURES}, neutral=MEASURES[1:]
    )
    names = list(counts)
    return answer(names, main, False, comments, dict.fromkeys(names, n), dict.fromkeys(names, 1))


def test_two_options_tied_ahead_of_control():
    text = _answer({"A": [3, 3, 1, 3], "B": [14, 4, 6, 2], "C": [14, 9, 3, 2]})
    assert text.startswith(
        "People liked B and C better than A, but there is no clear favourite among them yet"
    )
    assert "Post next: drop A and keep posting B and C evenly" in text
    assert "No option is clearly liked better" not in text


def test_a_measure_that_differs_is_never_called_quiet():
    text = _answer({"A": [3, 0, 1, 2], "B": [9, 10, 3, 2], "C": [5, 8, 8, 2]})
    assert (
        "On questions (confusion), B drew questions from 10 of 30 people who replied (33 %) against 0 of 30"
        in text
    )
    assert "On suggestions and problems the options did not differ clearly" in text
    assert "On questions (confusion), suggestions" not in text


def test_nothing_differs():
    text = _answer({"A": [6, 3, 2, 1], "B": [7, 3, 2, 2], "C": [6, 4, 1, 1]})
    assert text.startswith("No option is clearly liked better yet.")
    assert "On questions (confusion), suggestions and problems the options did not differ clearly" in text
    assert (
        "Post next: on positive replies the options are too close to tell apart at this pace: about" in text
    )
    assert "more posts each at 30 people who replied per post). Keep whichever is easiest to post" in text


def test_the_leader_is_the_option_described():
    text = _answer({"A": [10, 7, 4, 4], "B": [11, 15, 7, 2], "C": [13, 7, 4, 2]}, n=60)
    assert "C leads on positive replies" in text and "C drew positive replies from 13 of 60" in text


def test_a_close_call_gets_a_number_of_posts():
    text = _answer({"A": [31, 17, 16, 8], "B": [50, 15, 14, 7]}, n=150)
    assert "suggestive, not yet enough with every measure counted" in text
    assert "Post next: keep posting every option evenly until each has about" in text
    assert "more post each at 150 people who replied per post" in text


def test_the_favourite_with_more_problem_reports_comes_with_a_caution():
    text = _answer({"A": [10, 12, 5, 4], "B": [10, 12, 8, 3], "C": [25, 8, 11, 16]}, n=60)
    assert text.startswith("People liked C better.")
    assert "On problems, C drew problem reports from 16 of 60 people who replied (27 %)" in text
    assert text.endswith("First read the problem reports under C: it drew more of them.")

"""The one-paragraph answer that leads `sounding test report`: which option people liked better, on
which measures, how sure, and what to post next - in words a community manager can act on.

Pure: it reads finished reports (see `report.analyze_metrics`) and the reply counts; it computes
nothing new, so the paragraph can never disagree with the tables below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sounding.experiments.explain import p_text
from sounding.experiments.formatting import points, points_interval, probability
from sounding.experiments.report import ExperimentReport

LIKED = "positive replies"  # the measure "people liked it better" is read from
CAUTION = ("questions (confusion)", "problems")  # more of these under the favourite needs reading first


def certainty(p_adjusted: float, p_raw: float, alpha: float) -> str:
    if p_adjusted < alpha / 5:
        return "very likely real"
    if p_adjusted < alpha:
        return "likely real"
    if p_raw < alpha:
        return "suggestive, not yet enough with every measure counted"
    return "could well be chance"


WHAT = {
    "positive replies": "positive replies",
    "questions (confusion)": "questions",
    "suggestions": "suggestions",
    "problems": "problem reports",
}


def _count(report: ExperimentReport, i: int) -> tuple[int, int, str]:
    v = report.variants[i]
    return round(v.estimate * v.units), round(v.units), f"{v.estimate * 100:.0f} %"


def _best_difference(report: ExperimentReport) -> int | None:
    """The challenger to describe: the leader when it is a challenger, else the one with the smallest
    adjusted p (None when no challenger was tested)."""
    tested = [i for i, v in enumerate(report.variants) if i and v.p_value_adjusted is not None]
    if not tested:
        return None
    leader = max(range(len(report.variants)), key=lambda i: report.variants[i].p_best or 0)
    return leader if leader in tested else min(tested, key=lambda i: report.variants[i].p_value_adjusted)


def differs(report: ExperimentReport) -> bool:
    """Some challenger differs from control after the correction (in either direction)."""
    return any(
        v.p_value_adjusted is not None and v.p_value_adjusted < report.alpha for v in report.variants[1:]
    )


def ahead(report: ExperimentReport) -> list[int]:
    """Challengers significantly above control after the correction."""
    return [
        i
        for i, v in enumerate(report.variants)
        if i
        and v.p_value_adjusted is not None
        and v.p_value_adjusted < report.alpha
        and (v.difference or v.lift or 0) > 0
    ]


def describe(report: ExperimentReport, unit: str) -> str | None:
    """'B drew positive replies from 28 of 60 people who replied (47 %) against 13 of 60 for A (22 %),
    +25 points [+8.0, +40] (exact p = 0.0045, 0.018 after correcting for every measure): very likely real'"""
    i = _best_difference(report)
    if i is None:
        return None
    v, control = report.variants[i], report.variants[0]
    if report.kind != "proportion":
        return report.verdict.text.split(". Note:")[0]
    s_b, n_b, pct_b = _count(report, i)
    s_a, n_a, pct_a = _count(report, 0)
    what = WHAT.get(report.metric, report.metric)
    text = f"{v.variant} drew {what} from {s_b:,} of {n_b:,} {unit} ({pct_b}) against {s_a:,} of {n_a:,} for {control.variant} ({pct_a})"
    if v.difference is not None and v.difference_ci_low is not None and v.difference_ci_high is not None:
        text += f", {points(v.difference)} {points_interval(v.difference_ci_low, v.difference_ci_high)}"
    test = "exact " if report.test == "barnard_exact" else ""
    adjusted = f"{v.p_value_adjusted:.2g}" if v.p_value_adjusted >= 0.001 else "< 0.001"
    text += (
        f" ({test}{p_text(v.p_value)}, {adjusted} after correcting for every measure)"
        f": {certainty(v.p_value_adjusted, v.p_value, report.alpha)}"
    )
    return text


def answer(
    names: Sequence[str],
    main: ExperimentReport,
    main_comparable: bool,
    comments: Sequence[ExperimentReport],
    people: Mapping[str, int],
    posts: Mapping[str, int],
    unit: str = "people who replied",
) -> str:
    """The paragraph: liked better (positive replies), the other measures, how sure, what next."""
    by_metric = {r.metric: r for r in comments}
    parts: list[str] = []
    liked = by_metric.get(LIKED)
    winners = [r for r in (main, *comments) if r.verdict.decision == "winner" and r.verdict.winner]
    if liked is not None and liked.verdict.decision == "winner":
        best = liked.verdict.winner
        parts.append(f"People liked {best} better. {describe(liked, unit)}.")
    elif liked is not None and ahead(liked):
        names_ahead = _join([liked.variants[i].variant for i in ahead(liked)])
        tied = ", ".join(f"{v.variant} {probability(v.p_best or 0)}" for v in liked.variants if v.p_best)
        unclear = (
            "there is no clear favourite among them" if len(ahead(liked)) > 1 else "not that it is the best"
        )
        parts.append(
            f"People liked {names_ahead} better than {liked.variants[0].variant}, but {unclear} yet "
            f"(P(best) {tied}). {describe(liked, unit)}."
        )
        best = None
    elif liked is not None and liked.variants[0].p_best is not None:
        leader = max(liked.variants, key=lambda v: v.p_best or 0)
        detail = describe(liked, unit)
        parts.append(
            f"No option is clearly liked better yet. {leader.variant} leads on positive replies "
            f"(P(best) {probability(leader.p_best or 0)})" + (f". {detail}." if detail else ".")
        )
        best = None
    elif liked is not None:
        parts.append(f"Not enough replies to say which option people liked better ({liked.verdict.text}).")
        best = None
    else:
        best = main.verdict.winner if main_comparable else None
        lead = main.verdict.text if main_comparable else "Nothing can be compared yet."
        parts.append(
            f"{lead.rstrip('.')}. What people said in their replies is not analysed yet (`sounding analyze`)."
        )
    others = [r for r in winners if r.metric != LIKED]
    for r in others:
        parts.append(f"On {r.metric}, {describe(r, unit if r is not main else 'posts')}.")
    for r in comments:
        if r.metric != LIKED and r.verdict.decision != "winner" and differs(r):
            parts.append(
                f"On {r.metric}, {describe(r, unit)}, but which option has the most is not clear yet."
            )
    quiet = [
        r.metric for r in comments if r.metric != LIKED and r.verdict.decision != "winner" and not differs(r)
    ]
    if quiet:
        parts.append(f"On {_join(quiet)} the options did not differ clearly.")
    if (
        liked is not None
        and main_comparable
        and main.verdict.decision != "winner"
        and main.variants[0].p_best is not None
    ):
        parts.append(f"On {main.metric} per post: {main.verdict.text.split('. Note:')[0]}.")
    elif not main_comparable:
        parts.append(
            f"{main.metric.capitalize()} per post cannot be compared with one post per option, so this rests "
            "on what the replies said."
        )
    step = next_step(names, best, liked or (main if main_comparable else None), people, posts, unit)
    worry = [WHAT.get(r.metric, r.metric) for r in others if r.verdict.winner == best and r.metric in CAUTION]
    if best is not None and worry:
        step += f" First read the {_join(worry)} under {best}: it drew more of them."
    parts.append(step)
    return " ".join(parts)


def next_step(
    names: Sequence[str],
    best: str | None,
    deciding: ExperimentReport | None,
    people: Mapping[str, int],
    posts: Mapping[str, int],
    unit: str,
) -> str:
    """What to post next, with "how many more" in the deciding report's unit and in posts at the
    current pace (its units per post so far)."""
    if best is not None:
        return (
            f"Post next: use {best} as the new default and test it against one fresh variant; post each "
            "option at least twice so replies per post can be compared too."
        )
    if deciding is not None and deciding.verdict.decision != "winner" and ahead(deciding):
        keep = _join([v.variant for v in deciding.variants[1:]])
        return (
            f"Post next: drop {deciding.variants[0].variant} and keep posting {keep} evenly to see which of "
            "them people like best."
        )
    more = deciding.verdict.more_per_variant if deciding is not None else None
    if not more or deciding is None:
        return "Post next: another round of every option, evenly, then run this report again."
    unit = deciding.unit or unit
    pace_per_option = [v.units / posts[v.variant] for v in deciding.variants if posts.get(v.variant)]
    pace = sum(pace_per_option) / len(pace_per_option) if pace_per_option else 0
    extra = ""
    if pace and unit != "posts":
        posts_more = max(1, round(more / pace))
        extra = f" (about {posts_more:,} more post{'s' if posts_more > 1 else ''} each at {pace:,.0f} {unit} per post)"
    current = max(v.units for v in deciding.variants)
    if more > 10 * current:
        return (
            f"Post next: on {deciding.metric} the options are too close to tell apart at this pace: about "
            f"{more:,} more {unit} per option{extra}. Keep whichever is easiest to post and test a bolder change."
        )
    return f"Post next: keep posting every option evenly until each has about {more:,} more {unit}{extra}."


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

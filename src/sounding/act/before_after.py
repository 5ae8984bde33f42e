"""Before and after a shipped decision: did the way people talk about the theme change?

For the decision's themes, the audience comments in equal windows before and after the ship date
are compared on the share that report problems, the share that are negative (each an exact test of
the difference for small counts, the gbstats-compatible test for large ones, Holm-adjusted across
the two) and the volume per day (an exact conditional test of two Poisson rates). Themes no decision
touched, over the same days, are the comparison: if they moved the same way, the verdict says so.
The statistics are pure functions over counts (:func:`compare`), so they are calibrated by simulation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, select

from sounding.errors import ConflictError, NotReadyError
from sounding.store import Store

MIN_ITEMS = 10  # fewer comments than this on either side: "not enough data yet"
MEASURES = ("problem", "negative")


@dataclass(frozen=True)
class Counts:
    """Comments in one window: how many, how many report a problem, how many are negative, days covered."""

    comments: int
    problem: int
    negative: int
    days: float


@dataclass(frozen=True)
class Change:
    measure: str
    before: float
    after: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    adjusted_p: float


def _share_test(before: Counts, after: Counts, measure: str) -> tuple[float, float, float, float]:
    """Difference after - before of one share, its 95 % interval and two-sided p-value."""
    from sounding.experiments.exact import EXACT_MAX_UNITS, exact_test
    from sounding.experiments.frequentist import ttest
    from sounding.experiments.statistics import ProportionStatistic

    a = ProportionStatistic(n=[before.comments], sum=[getattr(before, measure)])
    b = ProportionStatistic(n=[after.comments], sum=[getattr(after, measure)])
    if max(before.comments, after.comments) <= EXACT_MAX_UNITS:
        result = exact_test(a, b)
    else:
        result = ttest(a, b, relative=False)
        if not bool(result.valid[0]):  # control share 0: gbstats skips; the exact test still answers
            result = exact_test(a, b)
    return (float(result.estimate[0]), float(result.ci_low[0]), float(result.ci_high[0]),
            float(result.p_value[0]))


def _rate_p(before: Counts, after: Counts) -> float:
    """Exact test of equal comments per day: given the total, the after count is binomial."""
    from scipy import stats

    total = before.comments + after.comments
    if total == 0 or before.days <= 0 or after.days <= 0:
        return 1.0
    return float(stats.binomtest(after.comments, total, after.days / (before.days + after.days)).pvalue)


def compare(before: Counts, after: Counts, alpha: float = 0.05) -> dict[str, Any]:
    """The verdict for one theme's two windows: better, worse, mixed, no change, or not enough data."""
    if min(before.comments, after.comments) < MIN_ITEMS:
        return {"verdict": "not enough data", "changes": [], "volume": None,
                "why": f"{before.comments} comments before and {after.comments} after; at least {MIN_ITEMS} "
                       "on each side are needed to tell a change from chance"}
    from sounding.experiments.frequentist import adjust_p_values

    raw = [_share_test(before, after, m) for m in MEASURES]
    adjusted = adjust_p_values(np.array([r[3] for r in raw]), "holm")
    changes = [
        Change(m, getattr(before, m) / before.comments, getattr(after, m) / after.comments, d, lo, hi, p, float(q))
        for m, (d, lo, hi, p), q in zip(MEASURES, raw, adjusted)
    ]
    down = [c for c in changes if c.adjusted_p < alpha and c.difference < 0]
    up = [c for c in changes if c.adjusted_p < alpha and c.difference > 0]
    verdict = "mixed" if down and up else "better" if down else "worse" if up else "no change"
    rate_before, rate_after = before.comments / before.days, after.comments / after.days
    volume = {"before_per_day": rate_before, "after_per_day": rate_after, "p_value": _rate_p(before, after)}
    return {"verdict": verdict, "changes": [asdict(c) for c in changes], "volume": volume, "why": _why(verdict, changes)}


def _why(verdict: str, changes: list[Change]) -> str:
    words = {"problem": "report a problem", "negative": "are negative"}
    parts = [f"{c.before:.0%} → {c.after:.0%} of comments {words[c.measure]} (adjusted p {c.adjusted_p:.3f})"
             for c in changes]
    if verdict == "no change":
        return "no change beyond chance: " + "; ".join(parts)
    return "; ".join(parts)


def _counts(store: Store, version: str, themes: list[int] | None, exclude: list[int], start: datetime,
            end: datetime) -> Counts:
    from sounding.store.models import Comment, Enrichment, ThemeMember

    in_theme = ThemeMember.theme_id.in_(themes) if themes is not None else and_(
        ThemeMember.theme_id.is_not(None), ThemeMember.theme_id.not_in(exclude or [-1]))
    query = (
        select(func.count(), func.sum(case((Enrichment.intent == "problem", 1), else_=0)),
               func.sum(case((Enrichment.sentiment == "negative", 1), else_=0)))
        .select_from(Comment)
        .join(ThemeMember, ThemeMember.text_hash == Comment.text_hash)
        .outerjoin(Enrichment, and_(Enrichment.text_hash == Comment.text_hash, Enrichment.model_version == version))
        .where(Comment.ours.is_(False), in_theme, Comment.created_at >= start, Comment.created_at < end)
    )
    with store.engine.connect() as conn:
        n, problem, negative = conn.execute(query).one()
    return Counts(int(n or 0), int(problem or 0), int(negative or 0), (end - start).total_seconds() / 86400)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def before_after(store: Store, decision_id: int, window_days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Compare the decision's themes before and after it shipped, beside themes with no decision."""
    from sounding.act import decisions
    from sounding.analysis import views
    from sounding.analysis.lessons import newest_audience_time
    decision = decisions.get(store, decision_id)
    if decision["status"] != "shipped" or decision["shipped_at"] is None:
        raise ConflictError(f"decision {decision_id} is {decision['status']}: before/after needs a ship date")
    version = views.current_version(store)
    if version is None:
        raise NotReadyError("nothing analysed yet: run `sounding analyze` first")
    themes = [link["theme"] for link in decision["lessons"]]
    if not themes:
        raise ConflictError(f"decision {decision_id} is linked to no lesson: before/after compares a lesson's theme")
    shipped = _aware(decision["shipped_at"])
    newest = _aware(now or newest_audience_time(store) or datetime.now(UTC))
    # equal windows on both sides, the after one reaching the newest comment (inclusive)
    span = min(timedelta(days=window_days), max(newest - shipped + timedelta(seconds=1), timedelta(0)))
    if span <= timedelta(0):
        result = compare(Counts(0, 0, 0, 0), Counts(0, 0, 0, 0))
        result["why"] = "nothing was said after the ship date yet"
        return {"decision": decision_id, "title": decision["title"], "shipped_at": shipped, "window_days": 0,
                "themes": themes, **result, "control": None}
    start, end = shipped - span, shipped + span
    before = _counts(store, version, themes, [], start, shipped)
    after = _counts(store, version, themes, [], shipped, end)
    with store.engine.connect() as conn:
        decided = sorted(decisions.decided_themes(conn))
    control_before = _counts(store, version, None, decided, start, shipped)
    control_after = _counts(store, version, None, decided, shipped, end)
    result = compare(before, after)
    control = compare(control_before, control_after)
    if result["verdict"] in ("better", "worse") and control["verdict"] == result["verdict"]:
        result["why"] += (f"; but themes with no decision moved the same way ({control['verdict']}) over the same "
                          "days, so the change may not come from this decision")
    return {
        "decision": decision_id, "title": decision["title"], "shipped_at": shipped,
        "window_days": span.total_seconds() / 86400, "themes": themes,
        "before": asdict(before), "after": asdict(after), **result,
        "control": {"before": asdict(control_before), "after": asdict(control_after), **control},
    }

"""How big each theme was over time: what the audience wrote per day (or week) per theme.

``comments`` counts every audience item (posts that opened a thread and replies), like a theme's
size; ``replies`` the replies among them (what the Comments page lists).

The database counts per theme and calendar day (one row per theme-day, never per comment, so a
million comments stay a small result); days become weeks here when the span is long, with the
same rule as the learning-value timeline, and every theme gets every period (zeros included) so
a chart's lines and the table of its numbers agree.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import case, func, select

from sounding.analysis.audience import audience
from sounding.store import Store
from sounding.store.models import Theme

WEEKLY_AFTER_DAYS = 120  # the timeline's rule (sounding.dashboard): longer spans per week


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def theme_series(store: Store, version: str) -> list[dict]:
    """Rows of ``theme, name, period (ISO date it starts), bucket (day|week), comments, replies``,
    themes by people (the Themes page's order), periods oldest first."""
    a = audience(version, ("kind", "author", "created_at"))
    day = func.date(a.c.created_at).label("day")
    replies = func.sum(case((a.c.kind == "comment", 1), else_=0)).label("replies")
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(a.c.theme_id, day, func.count().label("comments"), replies)
            .where(a.c.theme_id.is_not(None)).group_by(a.c.theme_id, day)
        ).all()
        people = dict(conn.execute(
            select(a.c.theme_id, func.count(func.distinct(a.c.author)))
            .where(a.c.theme_id.is_not(None)).group_by(a.c.theme_id)
        ).all())
        names = {r.id: (r.key, r.name) for r in conn.execute(select(Theme.id, Theme.key, Theme.name))}
    if not rows:
        return []
    frame = pd.DataFrame(rows, columns=["theme_id", "day", "comments", "replies"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    first, last = frame["day"].min(), frame["day"].max()
    weekly = (last - first).days > WEEKLY_AFTER_DAYS
    if weekly:
        frame["day"] = frame["day"].map(_monday)
        first = _monday(first)
    step = timedelta(days=7 if weekly else 1)
    periods = [first + i * step for i in range((last - first) // step + 1)]
    counts = frame.groupby(["theme_id", "day"])[["comments", "replies"]].sum().to_dict("index")
    totals = frame.groupby("theme_id")["comments"].sum().to_dict()
    order = sorted((t for t in people if t in names), key=lambda t: (-people[t], -totals.get(t, 0), names[t][0]))
    bucket = "week" if weekly else "day"
    none = {"comments": 0, "replies": 0}
    return [{"theme": names[t][0], "name": names[t][1], "period": p.isoformat(), "bucket": bucket,
             **{k: int(v) for k, v in counts.get((t, p), none).items()}}
            for t in order for p in periods]

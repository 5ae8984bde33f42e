"""Page contexts of lessons by segment and of the themes' sizes over time (thin layers over the core:
:meth:`Sounding.lessons` with ``by=`` and :meth:`Sounding.theme_series`), shared by the live server,
the REST API and ``report --html``."""

from __future__ import annotations

from datetime import date, timedelta

from sounding.api import Sounding
from sounding.browse import Query, narrow
from sounding.web.pages import Cache, _records

SEGMENTS = {"platform": "By platform", "returning": "First-time vs returning", "post": "By post"}
PAGE_SEGMENTS, PAGE_PER_SEGMENT = 10, 5  # what the Lessons page shows of each view
API_SEGMENTS, API_PER_SEGMENT = 50, 10  # the API's defaults (kept in the cache)
CHART_THEMES = 6  # lines on the Themes chart when no theme is chosen


def lesson_segments(api: Sounding, cache: Cache, by: str, segments: int | None, per_segment: int | None) -> list[dict]:
    """Lessons ranked within each segment, as rows with a global ``rank`` (the API's cursor) and the
    lesson's ``segment_rank``; ``platform`` and ``thread`` say where a platform or post segment is."""
    if not api.analysed:
        return []

    def compute() -> list[dict]:
        rows = _records(api.lessons(by=by, per_segment=per_segment, segments=segments))
        for i, row in enumerate(rows, 1):
            row["segment_rank"], row["rank"] = row["rank"], i
            row["segment"] = str(row["segment"])
            row.update({"platform": None, "thread": None, "post_text": row.get("post_text")})  # one shape
            if by == "platform":
                row["platform"] = row["segment"]
            elif by == "post":
                row["platform"], _, row["thread"] = row["segment"].partition(":")
        return rows

    if (segments, per_segment) in ((PAGE_SEGMENTS, PAGE_PER_SEGMENT), (API_SEGMENTS, API_PER_SEGMENT)):
        return cache(f"segments:{by}:{segments}:{per_segment}", compute, follows_analysis=True)
    return compute()  # other sizes are not kept: a client cannot grow the cache


def segments_page(api: Sounding, cache: Cache, by: str, q: Query) -> dict:
    """The Lessons page's ``by=`` view: the largest segments, each with its top lessons."""
    rows = narrow(lesson_segments(api, cache, by, PAGE_SEGMENTS, PAGE_PER_SEGMENT), q, ("title", "name", "segment"))
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["segment"] != row["segment"]:
            groups.append({"segment": row["segment"], "people": row["segment_people"], "lessons": [],
                           "platform": row.get("platform"), "thread": row.get("thread"),
                           "post_text": row.get("post_text")})
        groups[-1]["lessons"].append(row)
    return {"title": "Lessons", "analysed": api.analysed, "by": by, "views": SEGMENTS, "groups": groups, "q": q,
            "per_segment": PAGE_PER_SEGMENT}


def _next_period(period: str, bucket: str) -> str:
    return (date.fromisoformat(period) + timedelta(days=7 if bucket == "week" else 1)).isoformat()


def theme_chart(api: Sounding, cache: Cache, themes: list[dict], chosen: str | None = None) -> dict | None:
    """The Themes chart: what people wrote per period of the chosen theme (or the largest few), as a table
    (period rows, one column per theme) that the page draws with uPlot and links into the comments."""
    series = cache("theme_series", api.theme_series, follows_analysis=True)
    keys = [chosen] if chosen else [t["theme"] for t in themes[:CHART_THEMES]]
    wanted = {k: i for i, k in enumerate(keys)}
    shown = [r for r in series if r["theme"] in wanted]
    if not shown:
        return None
    names = {r["theme"]: r["name"] for r in shown}
    keys = [k for k in keys if k in names]
    cells: dict[str, list[dict]] = {}
    for r in shown:
        empty = [{"theme": k, "comments": 0, "replies": 0} for k in keys]
        cells.setdefault(r["period"], empty)[keys.index(r["theme"])] = r
    bucket = shown[0]["bucket"]
    return {"bucket": bucket, "themes": [{"theme": k, "name": names[k]} for k in keys],
            "rows": [{"period": p, "until": _next_period(p, bucket), "counts": c} for p, c in sorted(cells.items())],
            "total": sum(c.get("comments", 0) for row in cells.values() for c in row)}

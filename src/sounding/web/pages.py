"""What each page shows, as template contexts built from :class:`sounding.api.Sounding`.

The live server and ``report --html`` both call these, so a shared report is the same page a
community manager sees. Expensive summaries go through ``cache`` (the server keys it on the last
analysis run; a static report computes them once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sounding.api import Sounding
from sounding.browse import INTENTS, SENTIMENTS, Query, narrow, ranked
from sounding.web.render import bars

Cache = Callable[..., Any]  # (key, compute, follows_analysis=False) -> value; see sounding.web.cache
INTENT_ORDER = ("problem", "suggestion", "question", "praise", "other")


def direct(_key: str, compute: Callable[[], Any], follows_analysis: bool = False) -> Any:
    return compute()


def _records(frame) -> list[dict]:
    return frame.to_dict("records") if len(frame) else []


def lessons(api: Sounding, cache: Cache) -> list[dict]:
    """Ranked lessons with intent shares and quotes (cached: they change only with analysis)."""
    if not api.analysed:
        return []

    def compute() -> list[dict]:
        rows = _records(api.lessons())
        for row in rows:
            intents = row.get("intents") or {}
            total = sum(intents.values()) or 1
            row["shares"] = [{"intent": i, "count": intents.get(i, 0), "share": intents.get(i, 0) / total}
                             for i in INTENT_ORDER]
        return rows

    return cache("lessons", compute, follows_analysis=True)


def themes(api: Sounding, cache: Cache) -> list[dict]:
    """Themes by people, with their lesson's trend and the 30-day counts behind it."""
    if not api.analysed:
        return []

    def compute() -> list[dict]:
        from sounding.analysis import views

        evidence = {r["theme"]: r["evidence"] or {} for r in _records(views.lessons(api.store))}
        rows = _records(api.themes())
        for row in rows:
            ev = evidence.get(row["theme"], {})
            row.update({k: ev.get(k) for k in ("trend", "recent", "previous", "first_seen", "last_seen")})
        return rows

    return cache("themes", compute, follows_analysis=True)


def overview(api: Sounding, cache: Cache) -> dict:
    timeline = cache("timeline", api.timeline, follows_analysis=True)
    waiting = inbox_rows(api, cache, Query(limit=8))
    counts = cache("counts", api.status)
    return {
        "title": "Overview", "analysed": api.analysed, "counts": counts, "timeline": timeline,
        "lessons": lessons(api, cache)[:5], "waiting": waiting.items, "more_waiting": waiting.next is not None,
    }


def lessons_page(api: Sounding, cache: Cache, q: Query) -> dict:
    q.sort = "rank"
    page = ranked([dict(r) for r in narrow(lessons(api, cache), q, ("title", "name"))], q)
    return {"title": "Lessons", "analysed": api.analysed, "lessons": page.items, "next": page.next, "q": q,
            "intents": INTENTS}


def themes_page(api: Sounding, cache: Cache, q: Query) -> dict:
    rows = narrow(themes(api, cache), q, ("name",))
    return {"title": "Themes", "analysed": api.analysed, "themes": rows, "q": q,
            "size_bars": bars(rows[:25], "people", "name")}


def comments_page(api: Sounding, q: Query, who: str = "everyone") -> dict:
    page = api.comment_page(q)
    return {"title": "Comments", "page": page, "q": q, "who": who, "intents": INTENTS, "sentiments": SENTIMENTS,
            "theme_names": {r["theme"]: r["name"] for r in themes(api, direct)} if q.theme else {}}


def inbox_rows(api: Sounding, cache: Cache, q: Query, state: str = "open", assignee: str | None = None):
    """A page of the inbox (one keyset query: marks apply at once)."""
    return api.inbox(q, state=state, assignee=assignee or None)


def inbox_page(api: Sounding, cache: Cache, q: Query, state: str = "open", assignee: str | None = None) -> dict:
    page = inbox_rows(api, cache, q, state, assignee)
    return {"title": "Inbox", "page": page, "q": q, "state": state, "assignee": assignee or ""}


def thread_page(api: Sounding, post: str, platform: str | None) -> dict:
    from sounding.analysis.thread_tree import flatten

    tree = api.thread(post, platform)
    return {"title": "Thread", "tree": tree, "rows": flatten(tree)}


def tests_page(api: Sounding, cache: Cache) -> dict:
    return {"title": "Tests", "experiments": cache("experiments", api.experiment_reports)}


def _interval_geometry(variants: list[dict], width: int = 560) -> dict:
    """x positions (px) of each variant's lift interval on a shared axis through 0."""
    values = [v for row in variants for v in (row.get("lift_ci_low"), row.get("lift_ci_high")) if v is not None]
    low, high = min(values + [0.0]), max(values + [0.0])
    pad = (high - low) * 0.1 or 0.1
    low, high = low - pad, high + pad

    def x(value: float) -> float:
        return round((value - low) / (high - low) * width, 1)

    return {"zero": x(0.0), "low": low, "high": high, "width": width,
            "rows": [{"variant": r["variant"], "x1": x(r["lift_ci_low"]), "x2": x(r["lift_ci_high"]),
                      "x": x(r["lift"] if r["lift"] is not None else 0.0)}
                     for r in variants if r.get("lift_ci_low") is not None and r.get("lift_ci_high") is not None]}


def test_report_page(api: Sounding, cache: Cache, name: str) -> dict:
    from sounding.errors import NotFoundError

    found = [e for e in cache("experiments", api.experiment_reports) if e["name"] == name]
    if not found:
        raise NotFoundError(f"no experiment {name!r}")
    experiment = found[0]
    report = experiment["report"]
    return {"title": f"Test: {name}", "experiment": experiment, "report": report,
            "chart": _interval_geometry(report["variants"]) if report else None}


def polls_page(api: Sounding, cache: Cache) -> dict:
    return {"title": "Polls", "polls": cache("polls", api.polls)}


def decisions_page(api: Sounding) -> dict:
    """The decision log (what changed, for how many people) and the top lessons still waiting for one."""
    return {"title": "Decisions", "decisions": api.act.decisions(), "waiting": api.act.undecided(top=10),
            "replies": {d["id"]: api.act.replies(d["id"]) for d in api.act.decisions()}}


def sync_page(api: Sounding) -> dict:
    return {"title": "Sync", "accounts": api.sync_status(), "counts": api.status(), "now": datetime.now()}

"""Read-side summaries the dashboard shows beside the analysis: learning value over time, tests,
polls and the state of each connected account's sync. Plain dicts, no HTML.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import func, select

from sounding.analysis import views
from sounding.errors import SoundingError
from sounding.store import Store
from sounding.store.models import Account, Lesson, SyncCursor

WEEKLY_AFTER_DAYS = 120  # longer spans are shown per week, shorter ones per day


def analysis_stamp(store: Store) -> str:
    """Changes whenever an analysis run finished: a cache key for everything derived from it."""
    with store.engine.connect() as conn:
        latest = conn.execute(select(func.max(Lesson.computed_at), func.count(Lesson.id))).one()
    return f"{views.current_version(store)}|{latest[0]}|{latest[1]}"


def data_stamp(store: Store) -> str:
    """Changes when rows the pages show are added or marked, where SQLite's ``data_version`` is
    not at hand (PostgreSQL); edits in place are caught by the cache's time bound instead."""
    from sounding.inbox import InboxState
    from sounding.store.models import Comment, Decision, Post, ReactionSnapshot

    with store.engine.connect() as conn:
        rows = [conn.execute(select(func.max(m.id))).scalar() for m in (Comment, Post, ReactionSnapshot, Decision)]
        marks = tuple(conn.execute(select(func.count(), func.max(InboxState.updated_at))).one())
    return f"{analysis_stamp(store)}|{rows}|{marks}"


def timeline(store: Store) -> list[dict]:
    """Learning value per day (or week) of the posts started then, beside their likes and reposts
    (the values the last ``analyze`` stored, see :mod:`sounding.analysis.learning_store`)."""
    from sounding.analysis import learning_store

    frame, (first, last) = learning_store.per_day(store)
    if frame.empty:
        return []
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days
    bucket = "W-SUN" if span > WEEKLY_AFTER_DAYS else "D"
    frame["period"] = pd.to_datetime(frame["day"].astype(str)).dt.to_period(bucket).dt.start_time
    grouped = frame.groupby("period")[["learning_value", "likes", "reposts", "posts"]].sum().reset_index()
    return [
        {"period": row.period.date().isoformat(), "bucket": "week" if bucket != "D" else "day",
         "learning_value": round(float(row.learning_value), 2), "likes": int(row.likes), "reposts": int(row.reposts),
         "posts": int(row.posts)}
        for row in grouped.itertuples()
    ]


def experiments(store: Store) -> list[dict]:
    """Every stored experiment with its report (estimate, interval, P(best), verdict) or why not."""
    from sounding.experiments import analyze
    from sounding.experiments.errors import ExperimentDataError
    from sounding.experiments.stored import load_variants, summaries

    out = []
    for summary in summaries(store):
        item = {"name": summary.name, "status": summary.status, "metric": summary.metric,
                "variants": summary.variants, "posts": summary.posts, "report": None, "problem": None}
        try:
            variants, label = load_variants(store, summary.name)
            item["report"] = analyze(variants, metric=label).to_dict()
        except (ExperimentDataError, SoundingError, ValueError) as exc:
            item["problem"] = str(exc)
        out.append(item)
    return out


def polls(store: Store) -> list[dict]:
    """Every poll with its latest tally: votes, share with interval, P(most preferred)."""
    from sounding.experiments.stored import stored_polls

    return [
        {"platform": post.platform, "post": post.platform_id, "text": post.text, "created_at": post.created_at,
         "url": post.url, "total": sum(o.votes for o in options),
         "options": [{"option": o.option, "votes": o.votes, "share": o.share, "share_ci_low": o.share_ci_low,
                      "share_ci_high": o.share_ci_high, "p_most_preferred": o.p_most_preferred}
                     for o in options]}
        for post, options in stored_polls(store)
    ]


def sync_status(store: Store) -> list[dict]:
    """Connected accounts, when each stream last synced durably, and the last error if one was kept."""
    with store.session() as session:
        cursors: dict[int, list[tuple[str, datetime]]] = {}
        for account_id, stream, updated in session.execute(
            select(SyncCursor.account_id, SyncCursor.stream, SyncCursor.updated_at)
        ):
            cursors.setdefault(account_id, []).append((stream, updated))
        accounts = list(session.scalars(select(Account).order_by(Account.platform, Account.handle)))
    out = []
    for account in accounts:
        streams = sorted(cursors.get(account.id, []))
        last = max((t for _, t in streams), default=None)
        out.append({"platform": account.platform, "handle": account.handle, "service_url": account.service_url,
                    "connected_at": account.created_at, "last_sync": last,
                    "streams": [{"stream": s, "updated_at": t} for s, t in streams],
                    "error": account.last_error, "error_kind": account.last_error_kind,
                    "error_at": account.last_error_at})
    return out

"""The learning values analyze stores are the ones learning.by_post computes, and the dashboard's
timeline over them matches summing the live values per day; they are recomputed only when items
arrived since (a second analyze on unchanged data stays a no-op)."""

from __future__ import annotations

from datetime import timedelta

from labelled_store import VERSION, label
from test_learning_value import T0, three_threads

from sounding import Sounding
from sounding.analysis import learning, learning_store
from sounding.records import CommentRecord


def _live_per_day(api: Sounding) -> dict[str, tuple[float, int, int]]:
    frame = learning.by_post(api.store, VERSION)
    out: dict[str, tuple[float, int, int]] = {}
    for row in frame.itertuples():
        day = row.created_at.date().isoformat()
        value, likes, posts = out.get(day, (0.0, 0, 0))
        out[day] = (round(value + row.learning_value, 2), likes + (0 if row.likes != row.likes or row.likes is None else int(row.likes)), posts + 1)
    return out


def test_stored_values_give_the_live_timeline_and_refresh_only_on_new_items(store):
    records, labels = three_threads()
    store.write_records(records)
    label(store, labels)
    api = Sounding(store=store)
    assert learning_store.stale(store, VERSION)
    assert learning_store.refresh(store, VERSION) == 3
    assert not learning_store.stale(store, VERSION)
    shown = {row["period"]: (row["learning_value"], row["likes"], row["posts"]) for row in api.timeline()}
    assert shown == _live_per_day(api) and len(shown) == 3

    store.write_records([CommentRecord("mastodon", "c6", "p2", "gina", "The wifi on the trains is so slow every single morning that it never works at all",
                                       T0 + timedelta(days=10, hours=2))])
    assert learning_store.stale(store, VERSION)  # a new item: the next analyze recomputes
    before = {row["period"]: row["learning_value"] for row in api.timeline()}
    learning_store.refresh(store, VERSION)
    after = {row["period"]: row["learning_value"] for row in api.timeline()}
    day = (T0 + timedelta(days=10)).date().isoformat()
    assert after[day] > before[day] and after == {d: v[0] for d, v in _live_per_day(api).items()}

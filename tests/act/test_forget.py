"""Forgetting a person leaves no trace of their words or handle, and the lessons still add up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sounding.act import decisions, forget, tell
from sounding.errors import NotFoundError
from sounding.records import CommentRecord
from sounding.store.models import Comment, Enrichment, ThemeMember
from tests.act.conftest import T0


def test_forget_removes_their_comments_analysis_and_drafts(community):
    api, _ = community
    frame = api.lessons(quotes=False)
    lesson = int(frame.loc[frame["title"].str.contains("dark mode"), "lesson"].iloc[0])
    d = decisions.decide(api.store, "Dark mode", lessons=[lesson])
    decisions.set_status(api.store, d["id"], "shipped")
    tell.draft(api.store, d["id"])
    tell.opt_out(api.store, "bluesky:ana")
    receipt = forget.forget(api.store, "bluesky:ana")
    assert receipt["comments"] == 2 and receipt["analysis_rows"] == 4  # 2 texts x (enrichment + membership)
    with api.store.engine.connect() as conn:
        texts = list(conn.execute(select(Comment.text)).scalars())
    assert not any("dark mode please" in t or "eyes hurt" in t for t in texts)
    assert all("ana" not in r["people"] for r in tell.replies(api.store))
    after = api.lessons(quotes=False)
    dark = after.loc[after["title"].str.contains("dark mode")].iloc[0]
    assert dark["people"] == 3 and dark["comments"] == 3  # the lessons were recomputed without her
    with pytest.raises(NotFoundError):
        forget.forget(api.store, "bluesky:ana")  # nothing left to forget


def test_replies_to_a_forgotten_comment_stay_in_the_thread(store):
    from sounding import Sounding
    from sounding.records import PostRecord

    store.write_records([
        PostRecord("bluesky", "p", "brand", "Hi", T0, ours=True),
        CommentRecord("bluesky", "c1", "p", "zoe", "my secret words about prices", T0),
        CommentRecord("bluesky", "c2", "c1", "yan", "I agree with that", T0),
        CommentRecord("bluesky", "c3", "c2", "zoe", "thanks yan, more secret words", T0),
        CommentRecord("bluesky", "c4", "c3", "xia", "me too", T0),
    ])
    forget.forget(store, "bluesky:zoe")
    with store.engine.connect() as conn:
        rows = dict(conn.execute(select(Comment.platform_id, Comment.parent_comment_id)).all())
        ids = dict(conn.execute(select(Comment.platform_id, Comment.id)).all())
    assert set(rows) == {"c2", "c4"}
    assert rows["c2"] is None  # c1 was top-level: c2 becomes top-level
    assert rows["c4"] == ids["c2"]  # c3 is gone: c4 now answers c2
    Sounding(store=store).status()


def test_no_trace_in_the_sqlite_file(tmp_path):
    from sounding import Sounding
    from sounding.records import PostRecord

    from tests.analysis.labelled_store import label

    db = tmp_path / "s.db"
    api = Sounding(str(db))
    secret = "Zyzzyva-unique-phrase about my refund 4711"
    api.store.write_records([
        PostRecord("mastodon", "p", "brand", "Hi", T0, ours=True),
        CommentRecord("mastodon", "c1", "p", "quentin@example.social", secret, T0),
        CommentRecord("mastodon", "c2", "p", "rita@example.social", "refunds take too long", T0),
    ])
    label(api.store, {"c1": ("problem", "negative", "theme-refunds"), "c2": ("problem", "negative", "theme-refunds")})
    forget.forget(api.store, "mastodon:quentin@example.social")
    api.close()
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert secret.encode() not in data, path
        assert b"quentin" not in data, path

"""A small community with known analysis: dark-mode requests and login problems on two platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sounding import Sounding
from sounding.records import CommentRecord, PostRecord
from tests.analysis.labelled_store import label

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

DARK = [
    ("ana", "Please add a dark mode, my eyes hurt at night"),
    ("ben", "Dark theme when? The white screen is blinding"),
    ("cleo", "Would love a night mode option"),
    ("dev", "Any plans for dark mode on the app?"),
]
LOGIN = [
    ("eli", "I can't log in since the update"),
    ("fay", "Login keeps failing with an error"),
    ("gus", "Still locked out of my account"),
]


@pytest.fixture
def community(store):
    """Two posts of ours (bluesky, mastodon); replies asking for dark mode and reporting login problems."""
    records = [
        PostRecord("bluesky", "at://brand/post/1", "brand", "What should we build next?", T0, ours=True),
        PostRecord("mastodon", "m-1", "brand", "Tell us what to improve!", T0, ours=True),
    ]
    labels = {}
    for i, (who, text) in enumerate(DARK):
        platform, post = ("bluesky", "at://brand/post/1") if i < 2 else ("mastodon", "m-1")
        cid = f"{post}/c{i}"
        records.append(CommentRecord(platform, cid, post, who, text, T0 + timedelta(hours=i + 1)))
        labels[cid] = ("suggestion", "neutral", "theme-dark-mode")
    for i, (who, text) in enumerate(LOGIN):
        cid = f"at://brand/post/1/l{i}"
        records.append(CommentRecord("bluesky", cid, "at://brand/post/1", who, text, T0 + timedelta(hours=10 + i)))
        labels[cid] = ("problem", "negative", "theme-login")
    # ana writes twice in the same thread: she is one person and gets one reply there
    records.append(CommentRecord("bluesky", "at://brand/post/1/c9", "at://brand/post/1", "ana",
                                 "Seriously, dark mode please!", T0 + timedelta(hours=20)))
    labels["at://brand/post/1/c9"] = ("suggestion", "neutral", "theme-dark-mode")
    store.write_records(records)
    themes = label(store, labels)
    return Sounding(store=store), themes

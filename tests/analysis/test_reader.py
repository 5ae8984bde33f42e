"""The streaming reader: pending texts are exactly the audience texts without an enrichment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sounding.analysis import reader
from sounding.analysis.pipeline import write_enrichments
from sounding.records import CommentRecord, PostRecord
from sounding.store.rows import text_hash

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_pending_texts_leave_out_the_enriched_ones_across_pages_and_lookup_chunks(store):
    texts = [f"comment number {i}" for i in range(1_300)]
    store.write_records([PostRecord("bench", "p1", "brand", "Tell us", T0, ours=True)]
                        + [CommentRecord("bench", f"c{i}", "p1", f"u{i}", text, T0 + timedelta(seconds=i))
                           for i, text in enumerate(texts)]
                        + [CommentRecord("bench", "ours", "p1", "brand", "our own reply", T0, ours=True)])
    done = texts[::3] + texts[1::7]  # spread over every page and every lookup chunk
    write_enrichments(store, [{"text_hash": text_hash(t), "model_version": "v1", "sentiment": "neutral",
                               "sentiment_score": 0.0, "intent": "other", "intent_score": 0.5, "lang": "en",
                               "embedding": b""} for t in done])
    write_enrichments(store, [{"text_hash": text_hash(texts[2]), "model_version": "v0", "sentiment": "neutral",
                               "sentiment_score": 0.0, "intent": "other", "intent_score": 0.5, "lang": "en",
                               "embedding": b""}])  # another version does not count
    pages = list(reader.pending_texts(store, "v1", page=1_000))
    got = [t for page in pages for _, t in page]
    want = set(texts) - set(done)
    assert sorted(got) == sorted(want) and len(got) == len(want)
    assert texts[2] in got and "our own reply" not in got
    assert reader.count_pending(store, "v1") == len(want)

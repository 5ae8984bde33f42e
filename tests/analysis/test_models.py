"""Fast checks of the per-comment models (embedding, sentiment, intent, language).

They load the real shipped weights, offline, and assert behaviour on unambiguous comments only;
benchmark numbers live in benchmarks/, not here.
"""

from __future__ import annotations

import os
import socket

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest

from sounding.analysis import classify, embed as E


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def guard(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)


QUESTION = "How do I change my password in the app?"
PROBLEM = "The app crashes every time I open it and I lost all my data. Terrible."
SUGGESTION = "Please add a dark mode option, it would be great to have it."
PRAISE = "I absolutely love this app, it is amazing and the team did a fantastic job!"


def test_embed_shape_norm_determinism():
    texts = [QUESTION, PROBLEM, SUGGESTION, PRAISE, ""]
    a = E.embed(texts)
    assert a.shape == (5, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    b = E.embed(list(reversed(texts)), batch_size=2)[::-1]
    assert np.allclose(a, b, atol=1e-5)  # same vectors whatever the order / batch size
    assert E.embed([]).shape == (0, 384)
    assert isinstance(E.EMBED_MODEL_VERSION, str) and E.EMBED_MODEL_VERSION


def test_embed_semantics():
    a = E.embed(["The app keeps crashing on startup", "It crashes whenever I launch the application", "My cat likes fish"])
    assert a[0] @ a[1] > a[0] @ a[2] + 0.2


def test_embed_truncates_long_text():
    long = "word " * 2000
    a = E.embed([long])
    assert a.shape == (1, 384) and np.isfinite(a).all()


def test_embed_fast_mode():
    pytest.importorskip("static_model")  # tokenlearn-static-model: optional, fast mode only
    a = E.embed_fast([QUESTION, PRAISE])
    assert a.shape == (2, 64) and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("fast", [False, True])
def test_intent_and_sentiment_clear_cases(fast):
    if fast:
        pytest.importorskip("static_model")
    texts = [QUESTION, PROBLEM, SUGGESTION, PRAISE]
    emb = E.embed_fast(texts) if fast else E.embed(texts)
    s_labels, s_scores = classify.sentiment(texts, emb)
    assert s_scores.shape == (4, 3) and np.allclose(s_scores.sum(axis=1), 1.0, atol=1e-4)
    assert set(s_labels) <= set(classify.SENTIMENT_LABELS)
    assert s_labels[1] == "negative"
    assert s_labels[3] == "positive"

    labels, scores = classify.intent(texts, emb, sentiment_scores=s_scores)
    assert scores.shape == (4, 5) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4)
    assert labels == ["question", "problem", "suggestion", "praise"]
    # without precomputed sentiment the result is the same
    assert classify.intent(texts, emb)[0] == labels


def test_empty_and_mismatch():
    assert classify.sentiment([], np.zeros((0, 384), np.float32))[0] == []
    assert classify.intent([], np.zeros((0, 384), np.float32))[0] == []
    with pytest.raises(ValueError):
        classify.sentiment(["a", "b"], np.zeros((1, 384), np.float32))


def test_language():
    out = classify.language(
        ["Ceci est une phrase en français, et l'application est très bien.", "This is an English sentence about the app.", "👍"]
    )
    assert out == ["fr", "en", "und"]


def test_weights_load_offline():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    heads = classify.load_heads("full")
    assert set(heads) == {"sentiment", "intent"}
    assert isinstance(classify.CLASSIFIER_VERSION, str) and classify.CLASSIFIER_VERSION


@pytest.mark.parametrize("fast", [False, True])
def test_intent_on_the_demo_failures_of_issue_9(fast):
    """Reports and questions the v3 heads called other / suggestion (customer service, not app reviews)."""
    if fast:
        pytest.importorskip("static_model")
    texts = ["@airline on hold 23 minutes and still nobody picks up", "pods jammed again, third time this week",
             "Can you ship to Canada yet?", "do you deliver on saturdays"]
    emb = E.embed_fast(texts) if fast else E.embed(texts)
    assert classify.intent(texts, emb)[0] == ["problem", "problem", "question", "question"]


def test_shipped_heads_keep_the_v3_sentiment_cues():
    """The sentiment head reads only the v3 cue columns, so the v4 intent cues leave sentiment unchanged."""
    heads = classify.load_heads("full")
    assert heads["sentiment"].n_cues == classify.N_BASE_CUES
    assert heads["intent"].n_cues == classify.N_CUES


def test_intent_head_carries_its_validation_prior_shift():
    """The v5 head shifts question/problem up (chosen on validation folds); an old head without one gets zeros."""
    head = classify.load_heads("full")["intent"]
    shift = dict(zip(head.labels, head.bias))
    assert shift["question"] > 0 and shift["problem"] > 0 and shift["other"] == 0


def test_v5_report_cues():
    """Reports to a brand without a product-failure word light the v5 cue columns; plain praise does not."""
    texts = ["@user my printer will not print 2 sided", "Your customer service is a joke",
             "sent multiple emails and no response yet", "i love this app"]
    cues = classify.dense_cues(texts)[:, classify.N_V4_CUES:]
    assert (cues[:3].sum(axis=1) > 0).all()
    assert cues[3].sum() == 0

"""Sentiment benchmark: TweetEval sentiment TEST split (12,284 tweets), macro-averaged recall.

    PYTHONPATH=src .venv/bin/python benchmarks/sentiment_bench.py [--modes full,fast] [--no-cache]

Runs the shipped pipeline (embed -> classify.sentiment) with the shipped heads, and in the same
run VADER 3.3.2 (compound >= 0.05 positive, <= -0.05 negative, else neutral) and the TweetEval
authors' RoBERTa-retrained predictions shipped with the data. The heads never saw this split
(training/train_heads.py trains on the SemEval-2017 pool + TweetEval val). Embeddings are cached
under $SOUNDING_CACHE (/tmp/sounding_cache) keyed by text hash + model version (--no-cache to
recompute). Writes benchmarks/results/sentiment_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "src"))

import common as C  # noqa: E402
from sounding.analysis import classify as K  # noqa: E402
from sounding.analysis import embed as E  # noqa: E402

LABELS = ["negative", "neutral", "positive"]


def scores(y_true, y_pred) -> dict:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    rec = {l: float(np.mean(y_pred[y_true == l] == l)) for l in LABELS}
    return {
        "macro_recall": float(np.mean(list(rec.values()))),
        "accuracy": float(np.mean(y_true == y_pred)),
        "recall_per_class": rec,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", default="full,fast")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()
    texts, gold = C.tweeteval("test")
    rows = []

    for mode in args.modes.split(","):
        norm = [K.normalize_text(t) for t in texts]
        t0 = time.time()
        if args.no_cache:
            emb = E.embed(norm) if mode == "full" else E.embed_fast(norm)
        else:
            emb = C.cached_embed("tweeteval_test", norm, mode)
        t_emb = time.time() - t0
        t0 = time.time()
        pred, _ = K.sentiment(texts, emb)
        t_cls = time.time() - t0
        rows.append({"system": f"sounding ({mode})", **scores(gold, pred), "embed_s": round(t_emb, 1), "classify_s": round(t_cls, 1)})

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    an = SentimentIntensityAnalyzer()
    comp = np.array([an.polarity_scores(t)["compound"] for t in texts])
    vader = np.where(comp >= 0.05, "positive", np.where(comp <= -0.05, "negative", "neutral"))
    rows.append({"system": "VADER 3.3.2 (±0.05)", **scores(gold, vader)})

    rob = (C.DATA / "tweeteval-sentiment" / "predictions_roberta_retrained_test.txt").read_text().split()
    rows.append({"system": "RoBERTa-retrained (TweetEval authors)", **scores(gold, [LABELS[int(x)] for x in rob])})

    print(f"TweetEval sentiment test, n={len(gold)}")
    print(f"{'system':40s} {'macroR':>7s} {'acc':>7s} {'R neg':>7s} {'R neu':>7s} {'R pos':>7s}")
    for r in rows:
        pc = r["recall_per_class"]
        print(f"{r['system']:40s} {r['macro_recall']:7.4f} {r['accuracy']:7.4f} {pc['negative']:7.3f} {pc['neutral']:7.3f} {pc['positive']:7.3f}")
    out = {
        "benchmark": "tweeteval-sentiment test (SemEval-2017 4A), macro-averaged recall",
        "n": len(gold),
        "classifier_version": K.CLASSIFIER_VERSION,
        "embed_model_version": E.EMBED_MODEL_VERSION,
        "embed_fast_model_version": E.EMBED_FAST_MODEL_VERSION,
        "target_macro_recall": 0.72,
        "results": rows,
        "note": "timings (if any) taken on a shared 2-core machine; embeddings may come from the cache",
    }
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "sentiment_bench.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

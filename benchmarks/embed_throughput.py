"""Throughput of the per-comment analysis: embed + sentiment + intent + language, comments/s.

    PYTHONPATH=src .venv/bin/python benchmarks/embed_throughput.py [--n 2000] [--repeats 3]

Comments: real 10-40-word texts (TweetEval test tweets and GoEmotions dev Reddit comments, mixed,
filtered by word count). onnxruntime runs with 2 intra-op threads (the deployment target).
Reports the median of --repeats runs after one warm-up, per stage and for the whole analysis, for
the default mode (MiniLM int8 ONNX, several batch sizes) and the fast mode (64-d static
embeddings). The load average is recorded: on a shared machine other jobs slow everything down,
so compare rows of the same run only. Writes benchmarks/results/embed_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("SOUNDING_EMBED_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "src"))

import common as C  # noqa: E402
from sounding.analysis import classify as K  # noqa: E402
from sounding.analysis import embed as E  # noqa: E402
from sounding.analysis.language import language  # noqa: E402


def comments(n: int) -> list[str]:
    pool = C.tweeteval("test")[0] + C.goemotions("dev")[0]
    pool = [t for t in pool if 10 <= len(t.split()) <= 40]
    random.Random(C.SEED).shuffle(pool)
    return pool[:n]


def timed(fn, repeats: int) -> float:
    fn()  # warm-up (session load, first-call overheads)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-sizes", default="16,64,256")
    args = ap.parse_args()
    texts = comments(args.n)
    n = len(texts)
    words = sum(len(t.split()) for t in texts) / n
    load0 = os.getloadavg()[0]
    rows = []

    # stages that do not depend on the embedding mode
    t_lang = timed(lambda: language(texts), args.repeats)

    for bs in [int(x) for x in args.batch_sizes.split(",")]:
        t_emb = timed(lambda: E.embed(texts, batch_size=bs), args.repeats)
        rows.append({"mode": "full", "stage": f"embed (MiniLM int8, batch {bs})", "seconds": t_emb})
    emb = E.embed(texts, batch_size=64)
    best_full = min(r["seconds"] for r in rows if r["mode"] == "full")

    def classify_all(e):
        K.clear_cache()  # no reuse of the previous run's features
        _, s = K.sentiment(texts, e)
        K.intent(texts, e, sentiment_scores=s)

    t_cls = timed(lambda: classify_all(emb), args.repeats)
    rows.append({"mode": "full", "stage": "sentiment + intent", "seconds": t_cls})
    rows.append({"mode": "both", "stage": "language", "seconds": t_lang})
    rows.append({"mode": "full", "stage": "WHOLE analysis (best batch)", "seconds": best_full + t_cls + t_lang})

    t_femb = timed(lambda: E.embed_fast(texts), args.repeats)
    femb = E.embed_fast(texts)
    t_fcls = timed(lambda: classify_all(femb), args.repeats)
    rows.append({"mode": "fast", "stage": "embed_fast (static 64-d)", "seconds": t_femb})
    rows.append({"mode": "fast", "stage": "sentiment + intent", "seconds": t_fcls})
    rows.append({"mode": "fast", "stage": "WHOLE analysis", "seconds": t_femb + t_fcls + t_lang})
    load1 = os.getloadavg()[0]

    for r in rows:
        r["comments_per_s"] = n / r["seconds"]
    print(f"{n} comments, mean {words:.1f} words; onnxruntime threads {os.environ['SOUNDING_EMBED_THREADS']}; "
          f"load average {load0:.1f} -> {load1:.1f} (shared 2-core machine)")
    print(f"{'mode':5s} {'stage':36s} {'seconds':>8s} {'comments/s':>11s}")
    for r in rows:
        print(f"{r['mode']:5s} {r['stage']:36s} {r['seconds']:8.2f} {r['comments_per_s']:11.0f}")
    out = {
        "benchmark": "per-comment analysis throughput",
        "n_comments": n,
        "mean_words": words,
        "threads": int(os.environ["SOUNDING_EMBED_THREADS"]),
        "cpu_count": os.cpu_count(),
        "load_average_start_end": [load0, load1],
        "target_comments_per_s": 600,
        "embed_model_version": E.EMBED_MODEL_VERSION,
        "classifier_version": K.CLASSIFIER_VERSION,
        "rows": rows,
        "note": "median of repeats after warm-up; measured on a 2-core machine shared with other jobs",
    }
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "embed_throughput.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

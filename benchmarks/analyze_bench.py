"""Throughput, incremental cost and memory of the full ``sounding analyze``.

Comments are real public texts (GoEmotions Reddit comments and TweetEval tweets from
../shared/data), paired at random so that every generated comment is distinct and 10–60 words long.
Steps, each in its own process so peak RSS is the analysis alone:

1. import N comments (not timed here; see import_bench.py);
2. ``sounding analyze`` on all of them: comments/s, peak RSS;
3. import 1 % more comments, ``sounding analyze`` again: seconds, as a share of step 2;
4. the anchor a user would otherwise run: VADER sentiment alone over the same texts, in-process.

    python benchmarks/analyze_bench.py [--comments 20000] [--mode quality|fast] [--threads 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).parent / "results"


def source_texts() -> list[str]:
    texts = []
    with open(DATA / "goemotions" / "train.tsv", encoding="utf-8") as handle:
        texts += [row[0] for row in csv.reader(handle, delimiter="\t") if row]
    tweets = DATA / "tweeteval-sentiment" / "test_text.txt"
    if tweets.exists():
        texts += tweets.read_text(encoding="utf-8").splitlines()
    return [t for t in texts if len(t.split()) >= 4]


def write_comments(path: Path, texts: list[str], count: int, start: int, seed: int) -> None:
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with open(path, "wb") as out:
        for i in range(start, start + count):
            post = f"p{i // 20}"
            if i % 20 == 0:
                out.write(orjson.dumps({"kind": "post", "platform": "bench", "id": post, "author": "brand", "ours": True,
                                        "text": "What do you think?", "created_at": (t0 + timedelta(hours=i // 20)).isoformat()}) + b"\n")
            text = f"{rng.choice(texts)} {rng.choice(texts)}"
            out.write(orjson.dumps({"kind": "comment", "platform": "bench", "id": f"c{i}", "parent_id": post,
                                    "author": f"u{rng.randint(0, count // 3)}", "text": text,
                                    "created_at": (t0 + timedelta(hours=i // 20, minutes=i % 20)).isoformat()}) + b"\n")


def run(args: list[str], env: dict) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sounding.cli", *args], capture_output=True, env=env, check=True)
    seconds = time.perf_counter() - started
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        payload = {}
    return seconds, peak, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--mode", default="quality", choices=["quality", "fast"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    texts = source_texts()
    env = {**os.environ, "SOUNDING_EMBED_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    extra = max(1, args.comments // 100)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/bench.db"
        base, more = Path(tmp) / "base.jsonl", Path(tmp) / "more.jsonl"
        write_comments(base, texts, args.comments, 0, seed=1)
        write_comments(more, texts, extra, args.comments, seed=2)
        subprocess.run([sys.executable, "-m", "sounding.cli", "--db", db, "import", str(base)], check=True,
                       capture_output=True, env=env)
        full_s, full_rss, full = run(["--db", db, "analyze", "--mode", args.mode, "--json"], env)
        subprocess.run([sys.executable, "-m", "sounding.cli", "--db", db, "import", str(more)], check=True,
                       capture_output=True, env=env)
        inc_s, _, inc = run(["--db", db, "analyze", "--mode", args.mode, "--json"], env)
        noop_s, _, noop = run(["--db", db, "analyze", "--mode", args.mode, "--json"], env)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sample = [f"{a} {b}" for a, b in zip(texts[: min(len(texts), args.comments)], texts[1:], strict=False)]
    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for text in sample:
        analyzer.polarity_scores(text)
    vader_rate = len(sample) / (time.perf_counter() - started)
    result = {
        "comments": args.comments,
        "mode": args.mode,
        "threads": args.threads,
        "full": {"seconds": round(full_s, 1), "comments_per_s": round(args.comments / full_s), "peak_rss_mb": round(full_rss),
                 "report": full},
        "incremental_1pct": {"new_comments": extra, "seconds": round(inc_s, 1), "share_of_full": round(inc_s / full_s, 4),
                             "report": inc},
        "rerun_unchanged": {"seconds": round(noop_s, 1), "report": noop},
        "anchor_vader_sentiment_only": {"comments_per_s": round(vader_rate)},
        "targets": {"comments_per_s": 600, "incremental_share": 0.05, "peak_rss_mb_at_1M": 2048},
        "note": "wall time of whole CLI processes (start-up and model load included); machine shared with other jobs",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"analyze_bench_{args.mode}.json").write_text(json.dumps(result, indent=2))
    print(f"sounding analyze, {args.comments:,} distinct comments, mode={args.mode}, {args.threads} threads")
    print(f"{'run':<34}{'seconds':>9}{'comments/s':>12}{'peak RSS MB':>13}")
    print(f"{'full analysis':<34}{full_s:>9.1f}{args.comments / full_s:>12,.0f}{full_rss:>13,.0f}")
    print(f"{'after adding 1 % (' + str(extra) + ')':<34}{inc_s:>9.1f}{'':>12}{'':>13}  = {inc_s / full_s:.1%} of full")
    print(f"{'re-run, nothing new':<34}{noop_s:>9.1f}")
    print(f"{'anchor: VADER sentiment only':<34}{'':>9}{vader_rate:>12,.0f}")
    print("targets: ≥ 600 comments/s; incremental ≤ 5 % of full; ≤ 2 GB at 1,000,000 comments")


if __name__ == "__main__":
    main()

"""Import speed and memory: N generated comments from JSONL into SQLite, against sqlite-utils.

Writes benchmarks/results/import_bench.json and prints a table. The anchor is what a user would
reach for instead: ``sqlite-utils insert DB comments FILE --nl`` on the same file, same machine,
same run. Each tool runs in its own process; peak RSS is that process's maximum resident set.

    python benchmarks/import_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

RESULTS = Path(__file__).parent / "results"
WORDS = ("love the new update but the app crashes when I open settings please add dark mode "
         "why is shipping so slow thanks for the quick fix any plans for widgets on android").split()


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """One post per 50 comments; replies go to the post or to a recent comment (threads of depth)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with open(path, "wb") as out:
        post, recent = None, []
        for i in range(rows):
            if i % 50 == 0:
                post = f"p{i // 50}"
                out.write(orjson.dumps({"kind": "post", "platform": "bench", "id": post, "author": "brand",
                                        "text": "What should we build next?", "ours": True,
                                        "created_at": (start + timedelta(minutes=i)).isoformat()}) + b"\n")
                recent = []
            parent = rng.choice(recent) if recent and rng.random() < 0.4 else post
            cid = f"c{i}"
            text = " ".join(rng.choices(WORDS, k=rng.randint(6, 30)))
            out.write(orjson.dumps({"kind": "comment", "platform": "bench", "id": cid, "parent_id": parent,
                                    "author": f"user{rng.randint(1, 50_000)}", "text": text,
                                    "created_at": (start + timedelta(minutes=i, seconds=30)).isoformat(),
                                    "likes": rng.randint(0, 20)}) + b"\n")
            recent = (recent + [cid])[-10:]


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of a child process.

    On a shared machine wall time swings with the load; CPU time says how much work each tool did.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="comments to generate")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "comments.jsonl"
        generate(data, args.rows)
        lines = sum(1 for _ in open(data, "rb"))
        bin_dir = Path(sys.executable).parent
        # sqlite-utils first: RUSAGE_CHILDREN keeps the maximum over children, so the smaller goes first
        anchor_s, anchor_cpu, anchor_rss = timed([str(bin_dir / "sqlite-utils"), "insert", f"{tmp}/anchor.db", "comments",
                                      str(data), "--nl"])
        ours_s, ours_cpu, ours_rss = timed([sys.executable, "-m", "sounding.cli", "--db", f"{tmp}/ours.db", "import", str(data)])
        stored = subprocess.run([sys.executable, "-m", "sounding.cli", "--db", f"{tmp}/ours.db", "status", "--json"],
                                capture_output=True, check=True).stdout
    counts = json.loads(stored)
    result = {
        "rows_in_file": lines,
        "comments": args.rows,
        "stored": {"posts": counts["posts"], "comments": counts["comments"], "reactions": counts["reactions"]},
        "sounding": {"seconds": round(ours_s, 2), "cpu_seconds": round(ours_cpu, 2), "rows_per_s": round(lines / ours_s),
                     "peak_rss_mb": round(ours_rss)},
        "sqlite_utils_insert_nl": {"seconds": round(anchor_s, 2), "cpu_seconds": round(anchor_cpu, 2),
                                   "rows_per_s": round(lines / anchor_s), "peak_rss_mb": round(anchor_rss)},
        "speed_ratio_vs_sqlite_utils": round(anchor_s / ours_s, 2),
        "cpu_ratio_vs_sqlite_utils": round(anchor_cpu / ours_cpu, 2),
        "database_folder": tempfile.gettempdir(),
        "targets": {"rows_per_s": 100_000, "peak_rss_mb": 500, "speed_ratio": 1.0},
        "note": "sounding also validates every row, resolves each reply's parent and thread, pseudonymises "
                "authors, hashes texts and keeps each comment's likes as its first counts, all idempotently; "
                "sqlite-utils inserts the raw objects into one table, committing every 100 rows (so a disk's "
                "fsync time counts in its wall time; TMPDIR on a tmpfs leaves it out).",
    }
    (RESULTS / "import_bench.json").write_text(json.dumps(result, indent=2))
    print(f"Import of {lines:,} JSONL rows ({args.rows:,} comments) into SQLite")
    print(f"{'tool':<28}{'seconds':>10}{'CPU s':>8}{'rows/s':>12}{'peak RSS MB':>14}")
    for name, key in (("sounding import", "sounding"), ("sqlite-utils insert --nl", "sqlite_utils_insert_nl")):
        r = result[key]
        print(f"{name:<28}{r['seconds']:>10}{r['cpu_seconds']:>8}{r['rows_per_s']:>12,}{r['peak_rss_mb']:>14}")
    print(f"speed ratio (sqlite-utils time / ours): {result['speed_ratio_vs_sqlite_utils']}  "
          f"(targets: ≥ 1.0, ≥ 100,000 rows/s, < 500 MB); CPU ratio {result['cpu_ratio_vs_sqlite_utils']}; "
          f"databases in {result['database_folder']}")
    print(f"stored: {result['stored']}")


if __name__ == "__main__":
    main()

"""Import speed and memory: N generated comments from JSONL into SQLite, against sqlite-utils.

Writes benchmarks/results/import_bench.json and prints a table. The anchor is what a user would
reach for instead: ``sqlite-utils insert DB comments FILE --nl`` on the same file, same machine,
same run. Each tool runs in its own process; peak RSS is that process's maximum resident set.

    python benchmarks/import_bench.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one child process.

    On a shared machine wall time swings with the load; CPU time says how much work each tool did.
    ``os.wait4`` gives this child's own resource use, so runs can alternate without their peaks mixing.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_pair(data: Path, folder: Path, bin_dir: Path, round_no: int) -> dict:
    """One round: sqlite-utils, then sounding, each into a new database file."""
    anchor = timed([str(bin_dir / "sqlite-utils"), "insert", str(folder / f"anchor{round_no}.db"), "comments",
                    str(data), "--nl"])
    ours_db = folder / f"ours{round_no}.db"
    ours = timed([sys.executable, "-m", "sounding.cli", "--db", str(ours_db), "import", str(data)])
    for db in folder.glob(f"anchor{round_no}.db*"):
        db.unlink()
    return {"sounding": ours, "anchor": anchor, "db": ours_db}


def summary(runs: list[tuple[float, float, float]], lines: int) -> dict:
    seconds = statistics.median(r[0] for r in runs)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(statistics.median(r[1] for r in runs), 2),
            "rows_per_s": round(lines / seconds), "peak_rss_mb": round(max(r[2] for r in runs)),
            "runs_seconds": [round(r[0], 2) for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="comments to generate")
    parser.add_argument("--runs", type=int, default=3, help="alternating rounds (sqlite-utils, then sounding)")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "comments.jsonl"
        generate(data, args.rows)
        lines = sum(1 for _ in open(data, "rb"))
        bin_dir = Path(sys.executable).parent
        rounds = []
        for round_no in range(args.runs):
            rounds.append(run_pair(data, folder, bin_dir, round_no))
            last = rounds[-1]
            print(f"round {round_no + 1}: sqlite-utils {last['anchor'][0]:.1f} s, sounding {last['sounding'][0]:.1f} s",
                  flush=True)
        stored = subprocess.run([sys.executable, "-m", "sounding.cli", "--db", str(rounds[-1]["db"]), "status",
                                 "--json"], capture_output=True, check=True).stdout
    counts = json.loads(stored)
    ours = summary([r["sounding"] for r in rounds], lines)
    anchor = summary([r["anchor"] for r in rounds], lines)
    ratios = [r["anchor"][0] / r["sounding"][0] for r in rounds]
    result = {
        "rows_in_file": lines,
        "comments": args.rows,
        "runs": args.runs,
        "stored": {"posts": counts["posts"], "comments": counts["comments"], "reactions": counts["reactions"]},
        "sounding": ours,
        "sqlite_utils_insert_nl": anchor,
        "speed_ratio_vs_sqlite_utils": round(anchor["seconds"] / ours["seconds"], 2),
        "speed_ratio_per_round": [round(r, 2) for r in ratios],
        "cpu_ratio_vs_sqlite_utils": round(anchor["cpu_seconds"] / ours["cpu_seconds"], 2),
        "database_folder": tempfile.gettempdir(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "targets": {"rows_per_s": 100_000, "peak_rss_mb": 500, "speed_ratio": 1.0},
        "note": "sounding also validates every row, resolves each reply's parent and thread, pseudonymises "
                "authors, hashes texts and keeps each comment's likes as its first counts, all idempotently; "
                "sqlite-utils inserts the raw objects into one table, committing every 100 rows (so a disk's "
                "fsync time counts in its wall time; TMPDIR on a tmpfs leaves it out).",
    }
    (RESULTS / "import_bench.json").write_text(json.dumps(result, indent=2))
    print(f"Import of {lines:,} JSONL rows ({args.rows:,} comments) into SQLite, median of {args.runs} alternating runs")
    print(f"{'tool':<28}{'seconds':>10}{'CPU s':>8}{'rows/s':>12}{'peak RSS MB':>14}  runs (s)")
    for name, key in (("sounding import", "sounding"), ("sqlite-utils insert --nl", "sqlite_utils_insert_nl")):
        r = result[key]
        print(f"{name:<28}{r['seconds']:>10}{r['cpu_seconds']:>8}{r['rows_per_s']:>12,}{r['peak_rss_mb']:>14}  "
              f"{r['runs_seconds']}")
    print(f"speed ratio (sqlite-utils median time / ours): {result['speed_ratio_vs_sqlite_utils']} "
          f"(per round {result['speed_ratio_per_round']}; targets: ≥ 1.0, ≥ 100,000 rows/s, < 500 MB); "
          f"CPU ratio {result['cpu_ratio_vs_sqlite_utils']}; load average {result['load_average']}; "
          f"databases in {result['database_folder']}")
    print(f"stored: {result['stored']}")


if __name__ == "__main__":
    main()

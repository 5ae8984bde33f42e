"""How fast could any Python importer fill Sounding's schema? A floor for `import_bench.py`.

Generates the same data as `import_bench.py`, then writes it into a fresh store with the bare
`sqlite3` module: one transaction, `executemany` of tuples built with no validation, no pseudonyms,
no reject handling, parents resolved from an in-memory dict; each comment's likes go onto its own
row as its first counts, as the store keeps them. Whatever a real importer does on top can only be slower. Printed twice: with the comment indexes maintained row by row, and with the
secondary ones dropped (as a large `sounding import` does; their rebuild is timed separately).

    python benchmarks/import_floor.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from import_bench import RESULTS, generate  # noqa: E402
from sounding.store import DEFERRABLE_INDEXES, Store  # noqa: E402


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def load(db: Path, lines: list[bytes], drop_indexes: bool) -> dict[str, float]:
    Store.open(f"sqlite:///{db}").close()  # the real schema, migrated
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA cache_size=-32000")
    if drop_indexes:
        for name in DEFERRABLE_INDEXES:
            con.execute(f"DROP INDEX {name}")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    objects = [orjson.loads(line) for line in lines]
    seconds["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    posts = [o for o in objects if o["kind"] == "post"]
    con.executemany(
        "INSERT INTO posts (platform, platform_id, ours, author, text, text_hash, created_at) VALUES (?,?,?,?,?,?,?)",
        [(p["platform"], p["id"], 1, p["author"], p["text"], digest(p["text"]), p["created_at"]) for p in posts],
    )
    post_ids = dict(con.execute("SELECT platform_id, id FROM posts"))
    comment_ids: dict[str, tuple[int, int]] = {}
    rows = []
    for number, c in enumerate((o for o in objects if o["kind"] == "comment"), start=1):
        parent = c["parent_id"]
        post, parent_comment = (post_ids[parent], None) if parent in post_ids else comment_ids[parent][::-1]
        comment_ids[c["id"]] = (number, post)
        rows.append((number, c["platform"], c["id"], post, parent_comment, 0, c["author"], c["text"], digest(c["text"]),
                     c["created_at"], c["likes"]))
    seconds["build tuples"] = time.perf_counter() - started
    started = time.perf_counter()
    con.executemany(
        "INSERT INTO comments (id, platform, platform_id, post_id, parent_comment_id, ours, author, text, text_hash, "
        "created_at, first_likes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    seconds["insert comments"] = time.perf_counter() - started
    started = time.perf_counter()
    con.commit()
    seconds["commit"] = time.perf_counter() - started
    if drop_indexes:
        started = time.perf_counter()
        Store.open(f"sqlite:///{db}").close()  # builds the dropped indexes again
        seconds["rebuild indexes"] = time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="comments to generate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "comments.jsonl"
        generate(data, args.rows)
        lines = data.read_bytes().splitlines()
        runs = {
            "indexes kept": load(Path(tmp) / "kept.db", lines, drop_indexes=False),
            "secondary indexes dropped": load(Path(tmp) / "dropped.db", lines, drop_indexes=True),
        }
    steps = list(dict.fromkeys(step for run in runs.values() for step in run))
    print(f"Floor: {len(lines):,} rows written by bare sqlite3, one transaction, no validation")
    print(f"{'step':<22}" + "".join(f"{name:>28}" for name in runs))
    for step in steps:
        print(f"{step:<22}" + "".join(f"{run[step]:>27.2f}s" if step in run else f"{'':>28}" for run in runs.values()))
    result = {}
    for name, run in runs.items():
        total = sum(run.values())
        result[name] = {"seconds": {k: round(v, 3) for k, v in run.items()}, "rows_per_s": round(len(lines) / total)}
    print(f"{'rows/s (all steps)':<22}" + "".join(f"{r['rows_per_s']:>28,}" for r in result.values()))
    print("A real import adds validation, pseudonyms, rejects and one transaction per batch on top.")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import_floor.json").write_text(json.dumps({"rows": len(lines), **result}, indent=2))


if __name__ == "__main__":
    main()

"""Fuzz every importer with many more cases than the test run, and print how many ran.

Runs the hypothesis properties of tests/importers/fuzz_harness.py (JSONL, CSV, gzip, Mastodon
outbox, Reddit export, byte mutations of valid JSONL/CSV/gzip files) with ``--cases`` examples each,
fresh random seeds unless ``--seed`` is given. A failing case raises with the shrunk example;
otherwise it prints one line per property (cases, seconds) and writes
benchmarks/results/fuzz_import.json. The properties: no traceback (a damaged file ends in a
one-line SoundingError), rows read = new + already stored + rejected, every row of the file stored
or covered by a reject entry, and a second import adds nothing.

    PYTHONPATH=src python benchmarks/fuzz_import.py [--cases 2000] [--seed 1]

With SOUNDING_TEST_POSTGRES_URL set, JSONL is also fuzzed on PostgreSQL (a third of the cases:
each needs a new database).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="examples per property")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = parser.parse_args()
    os.environ["SOUNDING_FUZZ_EXAMPLES"] = str(args.cases)
    os.environ["SOUNDING_FUZZ_RANDOM"] = "1"
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "importers")]
    from hypothesis import seed as fixed_seed

    import fuzz_harness
    import test_fuzz_import as properties

    tests = [getattr(properties, name) for name in dir(properties) if name.startswith("test_")
             and (not name.endswith("_on_postgres") or os.environ.get("SOUNDING_TEST_POSTGRES_URL"))]
    rows = []
    print(f"{'property':<40} {'cases':>7} {'seconds':>8}")
    for test in tests:
        before = sum(fuzz_harness.CASES.values())
        start = time.perf_counter()
        (fixed_seed(args.seed)(test) if args.seed is not None else test)()
        ran = sum(fuzz_harness.CASES.values()) - before
        rows.append({"property": test.__name__, "cases": ran, "seconds": round(time.perf_counter() - start, 1)})
        print(f"{test.__name__:<40} {ran:>7,} {rows[-1]['seconds']:>8}")
    total = sum(r["cases"] for r in rows)
    print(f"{'all (no failure)':<40} {total:>7,}")
    print("by importer:", dict(sorted(fuzz_harness.CASES.items())))
    RESULTS.mkdir(exist_ok=True)
    out = {"cases_per_property": args.cases, "seed": args.seed, "properties": rows, "total": total,
           "by_importer": dict(fuzz_harness.CASES)}
    (RESULTS / "fuzz_import.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""Local engine vs Ray engine on the same comments: comments/s each, the ratio, peak driver memory.

Generates N distinct audience comments from the bundled airline sample (each sample text with a
distinct tail, so every one is a new text hash to analyse), imports them once into SQLite, then runs
``analyze`` on copies of that store: the local engine, and the Ray engine on a local cluster with every
CPU of this machine (each engine in its own process, so its peak RSS is its own). The Ray engine is
also run at N/4: a flat driver means the same peak RSS at both sizes. Cluster start-up is timed
apart from the analysis.

    python benchmarks/scale_bench.py [--comments 200000] [--mode fast|quality]

Writes benchmarks/results/scale_bench.json and prints a table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import orjson

SRC = Path(__file__).parents[1] / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).parent))
RESULTS = Path(__file__).parent / "results"


def generate(path: Path, comments: int) -> None:
    """``comments`` audience comments (50 per post of ours), texts from the sample made distinct."""
    sample = files("sounding").joinpath("data/sample/twacs_airlines.jsonl.gz")
    with gzip.open(str(sample), "rt", encoding="utf-8") as source:
        texts = [row["text"] for row in map(json.loads, source) if not row.get("ours")]
    with open(path, "wb") as out:
        for i in range(comments):
            if i % 50 == 0:
                post = f"p{i // 50}"
                out.write(orjson.dumps({"kind": "post", "platform": "bench", "id": post, "author": "brand",
                                        "text": "How was your flight?", "ours": True,
                                        "created_at": "2026-01-01T00:00:00+00:00"}) + b"\n")
            text = f"{texts[i % len(texts)]} (flight {i // len(texts)})"
            out.write(orjson.dumps({"kind": "comment", "platform": "bench", "id": f"c{i}", "parent_id": post,
                                    "author": f"user{i % 40_000}", "text": text,
                                    "created_at": f"2026-01-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:00+00:00"}) + b"\n")


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(engine: str, db: str, mode: str) -> None:
    """One analysis in this process; prints its timings and this driver's peak RSS as JSON.

    The enrich step (the part the engine changes) runs first on its own, so its peak RSS is read
    before themes and lessons, which run on the driver for both engines and grow with the sample.
    """
    from sounding import Sounding
    from sounding.analysis import pipeline

    startup = 0.0
    enricher = pipeline.enrich
    if engine == "ray":
        from sounding.analysis import ray_engine

        started = time.perf_counter()
        ray_engine.connect()
        startup = time.perf_counter() - started
        enricher = ray_engine.enricher()
    api = Sounding(db)
    steps = pipeline.default_steps(mode)
    started = time.perf_counter()
    enriched = enricher(api.store, steps)
    enrich_s = time.perf_counter() - started
    enrich_peak = peak_mb()
    report = api.analyze(mode=mode)  # themes and lessons: nothing is pending, no model work
    assert report.enriched == 0
    api.close()
    print(json.dumps({
        "engine": engine, "enriched": enriched, "startup_s": round(startup, 2), "enrich_s": round(enrich_s, 2),
        "themes_lessons_s": round(report.seconds["themes"] + report.seconds["lessons"], 2),
        "comments_per_s": round(enriched / enrich_s, 1),
        "enrich_peak_rss_mb": enrich_peak, "peak_rss_mb": peak_mb(),
    }))


def run(engine: str, base: Path, folder: Path, mode: str, label: str) -> dict:
    db = folder / f"{label}.db"
    shutil.copy(base, db)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, __file__, "--child", engine, "--db", str(db), "--mode", mode],
                         check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["comments"] = label
    print(f"  {label:<14} {result['comments_per_s']:>9,.1f} comments/s  driver RSS {result['enrich_peak_rss_mb']:,.0f} MB",
          file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--mode", choices=("fast", "quality"), default="fast")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server: N comments into a scratch database on it (dropped afterwards)")
    parser.add_argument("--pg-comments", type=int, default=10_000_000)
    parser.add_argument("--only", choices=("engines", "postgres", "driver"), action="append",
                        help="run only these parts (repeatable; default: all that have what they need)")
    parser.add_argument("--driver-store", metavar="URL",
                        help="only the Ray driver part, over the comments of an existing PostgreSQL store")
    parser.add_argument("--child", choices=("local", "ray"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.mode)
        return
    parts = set(args.only or ("engines", "postgres", "driver"))
    result: dict = {}
    if args.driver_store:
        import scale_pg

        parts, driven = set(), scale_pg.drive(args.driver_store)
        args.pg_comments = driven["comments"]
        result["postgres"] = {"ray_driver": driven}
    if "engines" in parts:
        result.update(engines(args))
    if "postgres" in parts and args.postgres:
        import scale_pg

        with tempfile.TemporaryDirectory() as tmp:
            result["postgres"] = scale_pg.run(args.postgres, args.pg_comments, Path(tmp), driver="driver" in parts)
        scale_pg.print_table(result["postgres"])
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "scale_bench.json"
    kept = json.loads(path.read_text()) if path.exists() else {}  # a part not run keeps its last numbers
    kept = kept if "postgres" in kept or "runs" in kept else {}
    if "engines" in parts:
        kept = {k: v for k, v in kept.items() if k in ("postgres", "ray_driver_by_size")}
    if args.driver_store:  # the PostgreSQL part's other numbers stay as they were
        result.pop("postgres")
    drivers = dict(kept.get("ray_driver_by_size", {}))  # each size's driver run is kept, to compare sizes
    if args.driver_store:
        drivers[str(args.pg_comments)] = driven
    elif result.get("postgres", {}).get("ray_driver"):
        drivers[str(args.pg_comments)] = result["postgres"]["ray_driver"]
    if drivers:
        result["ray_driver_by_size"] = drivers
        print_drivers(drivers)
    path.write_text(json.dumps({**kept, **result}, indent=2))
    print(json.dumps(result))


def print_drivers(drivers: dict) -> None:
    """The Ray driver's memory at each store size run so far: flat means the same RSS at every size."""
    print("\nRay driver over every pending row of a PostgreSQL store (model step replaced, see scale_driver.py)")
    print(f"{'comments':>12} {'rows':>12} {'rows/s':>9} {'RSS at start MB':>16} {'peak RSS MB':>12}  RSS by rows done (rows, MB)")
    for size, d in sorted(drivers.items(), key=lambda item: int(item[0])):
        samples = d["driver_rss_mb_by_rows"]
        print(f"{int(size):>12,} {d['enriched']:>12,} {d['rows_per_s']:>9,.0f} {samples[0][1]:>16,.0f} "
              f"{d['driver_peak_rss_mb']:>12,.0f}  {samples[1:4]}{' … ' + str(samples[-1]) if len(samples) > 4 else ''}")


def engines(args) -> dict:
    """Local engine vs Ray engine on the same SQLite store (see the module docstring)."""
    from sounding import Sounding

    n, quarter = args.comments, args.comments // 4
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bases = {}
        for size in (n, quarter):
            generate(folder / f"{size}.jsonl", size)
            bases[size] = folder / f"base_{size}.db"
            api = Sounding(str(bases[size]))
            api.import_file(folder / f"{size}.jsonl")
            api.close()
        runs = [run("local", bases[n], folder, args.mode, f"local {n:,}"),
                run("ray", bases[n], folder, args.mode, f"ray {n:,}"),
                run("ray", bases[quarter], folder, args.mode, f"ray {quarter:,}"),
                run("local", bases[quarter], folder, args.mode, f"local {quarter:,}")]
    local, ray = runs[0], runs[1]

    def steady(big: dict, small: dict) -> float | None:
        """Comments/s between the two sizes: what start-up (actors, model loads) does not cost."""
        seconds = big["enrich_s"] - small["enrich_s"]
        return round((big["enriched"] - small["enriched"]) / seconds, 1) if seconds > 1 else None

    result = {
        "comments": n, "mode": args.mode, "cpus": os.cpu_count(), "runs": runs,
        "ray_over_local": round(ray["comments_per_s"] / local["comments_per_s"], 3),
        "steady_comments_per_s": {"local": steady(runs[0], runs[3]), "ray": steady(runs[1], runs[2])},
        "ray_driver_enrich_rss_mb": {f"{quarter}": runs[2]["enrich_peak_rss_mb"], f"{n}": runs[1]["enrich_peak_rss_mb"]},
        "gpu": "not measured: no GPU machine this session",
    }
    steady_rates = result["steady_comments_per_s"]
    result["steady_ray_over_local"] = (round(steady_rates["ray"] / steady_rates["local"], 3)
                                       if steady_rates["ray"] and steady_rates["local"] else None)
    print(f"\nanalyze ({args.mode} mode), {os.cpu_count()} CPUs, SQLite store")
    print(f"{'run':<14} {'texts':>8} {'start s':>8} {'enrich s':>9} {'comments/s':>11} {'themes+lessons s':>17} "
          f"{'driver RSS MB (enrich / all)':>29}")
    for r in runs:
        print(f"{r['comments']:<14} {r['enriched']:>8,} {r['startup_s']:>8.1f} {r['enrich_s']:>9.1f} "
              f"{r['comments_per_s']:>11,.1f} {r['themes_lessons_s']:>17.1f} "
              f"{r['enrich_peak_rss_mb']:>20,.0f} / {r['peak_rss_mb']:>6,.0f}")
    print(f"Ray / local at {n:,}: {result['ray_over_local']:.2f}x (enrich step, cluster start-up excluded)")
    print(f"Steady state ({quarter:,} -> {n:,}): local {steady_rates['local']}/s, ray {steady_rates['ray']}/s, "
          f"ratio {result['steady_ray_over_local']}" + (" (the sizes are too close to tell)" if None in steady_rates.values() else ""))
    print("GPU: not measured (no GPU machine this session)")
    return result


if __name__ == "__main__":
    main()

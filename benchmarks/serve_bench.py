"""Dashboard latency under load: N comments in SQLite, C concurrent clients for S seconds against the
overview, lessons, inbox and a thread page, idle and while an import writes, beside datasette
serving a table page of the same database file in the same run (the anchor a user would compare).

    python benchmarks/serve_bench.py [--comments 1000000] [--clients 1,20] [--seconds 30] [--db FILE]

Texts are drawn from the bundled sample (so analysis enriches only its few thousand distinct texts
while every page still aggregates over all N rows). ``--db`` keeps the generated store between runs
(built once, then only brought up to date by ``analyze``); each run serves a fresh copy of it.
Datasette is a benchmark-only tool (``pip install datasette==0.65.5``, e.g. in its own venv, given
with ``--datasette``). Besides latencies each run reports what keeps it honest: the CPU the load
generator and the server used (the generator shares the machine), the rows the writer committed
during the run, and the load average. Writes benchmarks/results/serve_bench.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import httpx
import numpy as np
import orjson

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parents[1]
THREAD_SIZE = 50


def sample_texts() -> list[str]:
    path = Path(str(files("sounding").joinpath("data/sample/twacs_airlines.jsonl.gz")))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return sorted({r["text"] for r in rows if not r.get("ours")})


def generate(path: Path, comments: int, texts: list[str], start_post: int = 0, seed: int = 11,
             start: datetime | None = None) -> None:
    """One post of ours per 50 comments; a fifth of the threads get a reply of ours."""
    rng = random.Random(seed)
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    with open(path, "wb") as out:
        recent: list[str] = []
        for i in range(comments):
            n = start_post + i // THREAD_SIZE
            post = f"p{n}"
            when = start + timedelta(minutes=start_post * THREAD_SIZE + i)
            if i % THREAD_SIZE == 0:
                out.write(orjson.dumps({"kind": "post", "platform": "bench", "id": post, "author": "brand",
                                        "text": rng.choice(texts), "ours": True, "likes": rng.randint(0, 300),
                                        "reposts": rng.randint(0, 40), "created_at": when.isoformat()}) + b"\n")
                recent = []
            parent = rng.choice(recent) if recent and rng.random() < 0.4 else post
            cid = f"c{start_post}-{i}"
            ours = i % THREAD_SIZE == THREAD_SIZE - 1 and n % 5 == 0
            out.write(orjson.dumps({"kind": "comment", "platform": "bench", "id": cid, "parent_id": parent,
                                    "author": "brand" if ours else f"user{rng.randint(1, 80_000)}", "ours": ours,
                                    "text": "Thanks, we are on it." if ours else rng.choice(texts),
                                    "created_at": (when + timedelta(seconds=30)).isoformat()}) + b"\n")
            recent = (recent + [cid])[-10:]


def cli(db: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "sounding.cli", "--db", str(db), *args], check=True, env=env,
                          **kwargs)


def build(db: Path, comments: int) -> float:
    """Generate and import (unless kept from an earlier run), then analyze: a no-op on a store this
    version already analysed, and what a user runs after an upgrade."""
    started = time.perf_counter()
    if not db.exists():
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "bench.jsonl"
            generate(data, comments, sample_texts())
            cli(db, "import", str(data), stdout=subprocess.DEVNULL)
    cli(db, "analyze", "--mode", "fast", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (a server, the load generator)."""
    import psutil

    proc = psutil.Process(pid)
    times = proc.cpu_times()
    return times.user + times.system + sum(c.cpu_times().user + c.cpu_times().system
                                           for c in proc.children(recursive=True))


def rows_written(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT max(id) FROM comments").fetchone()[0] or 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], url: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=60).status_code == 200:  # also warms the caches
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{command[:4]} did not answer {url}")


WRITER = """
import itertools, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import serve_bench as bench
from sounding.api import Sounding
api, folder, base, texts = Sounding(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[4]), bench.sample_texts()
for k in itertools.count():  # new threads every round: each import really adds 20,000 comments
    path = folder / f"w{k % 2}.jsonl"
    bench.generate(path, 20_000, texts, start_post=base + k * 400, seed=100 + k,
                   start=datetime(2026, 6, 1, tzinfo=UTC))
    api.import_file(path)
"""


def start_writer(db: Path, folder: Path, base: int) -> subprocess.Popen:
    """An import that keeps writing: 20,000-comment files of new threads, one after another (a
    re-import of the same file would be idempotent, so each round generates new rows)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(folder), str(Path(__file__).parent),
                             str(base)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def load(urls: list[str], clients: int, seconds: float) -> dict:
    latencies: dict[str, list[float]] = {u: [] for u in urls}
    errors: dict[str, int] = {u: 0 for u in urls}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def worker(k: int) -> None:
            i = k
            while time.monotonic() < stop:
                url = urls[i % len(urls)]
                i += 1
                began = time.perf_counter()
                try:
                    response = await client.get(url)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies[url].append((time.perf_counter() - began) * 1000)
                errors[url] += not ok

        await asyncio.gather(*(worker(k) for k in range(clients)))
    every = [x for values in latencies.values() for x in values]

    def stats(values: list[float]) -> dict:
        if not values:
            return {"requests": 0}
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        return {"requests": len(values), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "p99_ms": round(p99, 1)}

    return {"all": {**stats(every), "errors": sum(errors.values()), "rps": round(len(every) / seconds, 1)},
            "pages": {u.split("/", 3)[-1] or "/": {**stats(v), "errors": errors[u]} for u, v in latencies.items()}}


WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "errors": %d, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_load(wrk: str, urls: list[str], clients: int, seconds: float) -> dict:
    """The same closed loop driven by wrk (C, a few % of a core), one process per page: with at
    least one client per page they run at once (``clients`` split among them), else one page
    after another with ``clients`` connections each. "(all)" then shows the worst page's
    percentiles (an upper bound: wrk keeps one histogram per process)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_REPORT)
    try:
        def command(url: str, connections: int, duration: float) -> list[str]:
            return [wrk, "-t1", f"-c{connections}", f"-d{max(int(duration), 1)}s", "--timeout", "60s",
                    "-s", handle.name, url]

        if clients >= len(urls):
            shares = [clients // len(urls) + (i < clients % len(urls)) for i in range(len(urls))]
            procs = [subprocess.Popen(command(u, n, seconds), stdout=subprocess.PIPE, text=True)
                     for u, n in zip(urls, shares)]
            outputs = [proc.communicate()[0] for proc in procs]
        else:
            outputs = [subprocess.run(command(u, clients, seconds / len(urls)), stdout=subprocess.PIPE, text=True,
                                      check=True).stdout for u in urls]
    finally:
        os.unlink(handle.name)
    pages = {}
    for url, out in zip(urls, outputs):
        line = next(x for x in out.splitlines() if x.startswith("WRK "))
        pages[url.split("/", 3)[-1] or "/"] = orjson.loads(line[4:])
    total = sum(p["requests"] for p in pages.values())
    worst = {k: max(p[k] for p in pages.values()) for k in ("p50_ms", "p95_ms", "p99_ms")}
    return {"all": {"requests": total, **worst, "errors": sum(p["errors"] for p in pages.values()),
                    "rps": round(total / seconds, 1)}, "pages": pages}


def measured(urls: list[str], clients: int, seconds: float, server: subprocess.Popen, db: Path,
             wrk: str | None) -> dict:
    """One load run with the CPU each side used, the rows committed meanwhile and the load average."""
    import resource

    def client_cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_client, cpu_server, rows = client_cpu(), cpu_seconds(server.pid), rows_written(db)
    load_before = os.getloadavg()[0]
    result = wrk_load(wrk, urls, clients, seconds) if wrk else asyncio.run(load(urls, clients, seconds))
    result["honesty"] = {
        "clients": clients, "load_generator": "wrk" if wrk else "httpx (asyncio)",
        "client_cpu_percent": round(100 * (client_cpu() - cpu_client) / seconds, 1),
        "server_cpu_percent": round(100 * (cpu_seconds(server.pid) - cpu_server) / seconds, 1),
        "comments_written": rows_written(db) - rows,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--clients", default="1,20", help="concurrent clients of each run, comma-separated")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--db", type=Path, help="reuse (or build) this database file")
    parser.add_argument("--datasette", type=Path, default=Path(sys.executable).parent / "datasette",
                        help="the datasette executable (e.g. of a benchmark-only venv)")
    parser.add_argument("--load", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx",
                        help="load generator: wrk (apt-get install wrk; default when present) or httpx in asyncio")
    args = parser.parse_args()
    wrk = shutil.which("wrk") if args.load == "wrk" else None
    if args.load == "wrk" and not wrk:
        sys.exit("wrk is missing: apt-get install wrk (benchmark only), or pass --load httpx")
    client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    RESULTS.mkdir(exist_ok=True)
    base = args.db or RESULTS / f"serve_bench_{args.comments}.db"
    build_s = build(base, args.comments)
    db = base.with_name(f"{base.stem}_run.db")  # the writer grows it: every run starts from the same data
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, db)
    datasette = args.datasette
    if not datasette.exists():
        sys.exit("the anchor is missing: pip install datasette==0.65.5 (benchmark only, not a dependency)")
    ours_port, anchor_port = free_port(), free_port()
    thread = f"p{args.comments // THREAD_SIZE // 2}"
    ours_urls = [f"http://127.0.0.1:{ours_port}{p}" for p in ("/", "/lessons", "/inbox", f"/thread?post={thread}")]
    anchor_urls = [f"http://127.0.0.1:{anchor_port}/{db.stem}/comments"]
    results: dict = {"comments": args.comments, "clients": client_counts, "seconds": args.seconds,
                     "build_seconds": round(build_s, 1), "cpus": os.cpu_count(), "runs": {}}
    servers = [start([sys.executable, "-m", "sounding.cli", "--db", str(db), "serve", "--port", str(ours_port)],
                     ours_urls[0])]
    try:
        servers.append(start([str(datasette), "serve", str(db), "--port", str(anchor_port)], anchor_urls[0]))
        for url in ours_urls + anchor_urls:  # warm every page once
            httpx.get(url, timeout=120)
        for phase in ("idle", "import writing"):
            writer = None
            with tempfile.TemporaryDirectory() as tmp:
                if phase != "idle":
                    writer = start_writer(db, Path(tmp), base=args.comments // THREAD_SIZE + 10)
                    time.sleep(2)
                try:
                    for clients in client_counts:
                        for name, urls, server in (("sounding", ours_urls, servers[0]),
                                                   ("datasette", anchor_urls, servers[1])):
                            results["runs"][f"{name} ({phase}, {clients}c)"] = measured(
                                urls, clients, args.seconds, server, db, wrk)
                finally:
                    if writer:
                        writer.terminate()
                        writer.wait(timeout=30)
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
    (RESULTS / "serve_bench.json").write_text(json.dumps(results, indent=2))
    print(f"\n{args.comments:,} comments, {args.seconds:.0f} s per run, {os.cpu_count()} CPUs")
    print(f"{'run':<34} {'page':<28} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for run, data in results["runs"].items():
        for page, s in [("(all)", data["all"]), *data["pages"].items()]:
            print(f"{run:<34} {page[:28]:<28} {s['requests']:>9} {s.get('p50_ms', 0):>8} {s.get('p95_ms', 0):>8} "
                  f"{s.get('p99_ms', 0):>8} {s['errors']:>7}")
    print(f"\n{'run':<34} {'rps':>7} {'client CPU %':>13} {'server CPU %':>13} {'written':>8} {'load avg':>12}")
    for run, data in results["runs"].items():
        h = data["honesty"]
        print(f"{run:<34} {data['all']['rps']:>7} {h['client_cpu_percent']:>13} {h['server_cpu_percent']:>13} "
              f"{h['comments_written']:>8} {h['load_average'][0]:>5}->{h['load_average'][1]:<5}")


if __name__ == "__main__":
    main()

"""The PostgreSQL part of scale_bench: N comments generated, imported, and the pages' queries timed.

1. N audience comments (50 per post of ours, a third of them replies to an earlier comment of the
   thread, one in 40 a reply of ours) are written as JSONL and imported with ``import_file`` — the
   code ``sounding import`` runs — in a child process, so its peak RSS is the importer's own.
2. Analysis of N texts is far too slow here (~800 comments/s on 2 CPUs), so enrichments, themes and
   theme members are **generated synthetically** in SQL (labels derived from the text hash); the
   lessons are then computed by the real ``refresh_lessons``. The output says so.
3. Each main query is run through the core functions the pages and commands call (lessons, the
   questions inbox, a thread, comments filtered by theme, a deep keyset page) and timed; every SQL
   statement they send is EXPLAINed, and a sequential scan of ``comments`` is reported.
"""

from __future__ import annotations

import gzip
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import orjson
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

PER_POST = 50


def generate(path: Path, comments: int) -> None:
    """``comments`` comments in threads of ``PER_POST``, texts from the bundled sample made distinct."""
    sample = files("sounding").joinpath("data/sample/twacs_airlines.jsonl.gz")
    with gzip.open(str(sample), "rt", encoding="utf-8") as source:
        texts = [row["text"] for row in map(json.loads, source) if not row.get("ours")]
    dumps = orjson.dumps
    with open(path, "wb", buffering=1 << 20) as out:
        for i in range(comments):
            n = i % PER_POST
            if n == 0:
                post = f"p{i // PER_POST}"
                day = (i // PER_POST) % 90
                out.write(dumps({"kind": "post", "platform": "bench", "id": post, "author": "brand", "ours": True,
                                 "text": f"How was your flight? ({i // PER_POST})", "likes": i % 97,
                                 "created_at": f"2026-01-01T00:00:00+00:00"}) + b"\n")
            ours = n % 40 == 39
            parent = f"c{i - 1 - (i % 7)}" if n > 10 and n % 3 == 0 else post
            row = {"kind": "comment", "platform": "bench", "id": f"c{i}", "parent_id": parent,
                   "author": "brand" if ours else f"user{i % 500_000}", "ours": ours,
                   "text": "Thanks, we are on it" if ours else f"{texts[i % len(texts)]} (flight {i // len(texts)})",
                   "created_at": f"2026-{1 + day // 30:02d}-{1 + day % 28:02d}T{n // 3:02d}:{n % 60:02d}:00+00:00"}
            if n % 5 == 0:
                row["likes"] = n
            out.write(dumps(row) + b"\n")


def child_import(url: str, path: str) -> None:
    """The import in this process: prints seconds, the report and this process's peak RSS."""
    from sounding import Sounding

    api = Sounding(url)
    started = time.perf_counter()
    report = api.import_file(Path(path))
    seconds = time.perf_counter() - started
    api.close()
    print(json.dumps({"seconds": round(seconds, 1), "read": report.read, "new": report.new,
                      "rejected": report.rejected,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def create_database(server: str, name: str) -> str:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


VERSION = "synthetic-bench"
THEMES = 200


def synthesize_analysis(url: str) -> dict:
    """Enrichments, themes and members made up from the text hash (SYNTHETIC), then the real lessons."""
    from sounding.analysis import lessons, views
    from sounding.store import Store

    store = Store.open(url)
    started = time.perf_counter()
    with store.transaction() as conn:
        conn.execute(text("""
            INSERT INTO enrichments (text_hash, model_version, sentiment, sentiment_score, intent, intent_score, lang)
            SELECT DISTINCT ON (text_hash) text_hash, :v,
                   (ARRAY['negative','neutral','positive'])[1 + abs(hashtext(text_hash)) % 3],
                   (abs(hashtext(text_hash)) % 200) / 100.0 - 1,
                   (ARRAY['question','suggestion','problem','praise','other'])[1 + abs(hashtext(text_hash || 'i')) % 5],
                   0.9, 'en'
            FROM comments WHERE NOT ours ON CONFLICT DO NOTHING"""), {"v": VERSION})
        now = datetime.now(UTC)
        conn.execute(text("""
            INSERT INTO themes (key, name, top_words, size, model_version, updated_at)
            SELECT 'theme-' || i, 'theme ' || i, '["a", "b"]', 0, :v, :now FROM generate_series(1, :n) AS i"""),
                     {"v": VERSION, "now": now, "n": THEMES})
        conn.execute(text("""
            INSERT INTO theme_members (text_hash, theme_id, representative)
            SELECT e.text_hash, t.id, abs(hashtext(e.text_hash || 'r')) % 20000 = 0
            FROM enrichments e JOIN themes t ON t.key = 'theme-' || (1 + abs(hashtext(e.text_hash || 't')) % :n)
            WHERE e.model_version = :v"""), {"v": VERSION, "n": THEMES})
        conn.execute(text("ANALYZE"))
    synthetic_s = time.perf_counter() - started
    started = time.perf_counter()
    made = lessons.refresh_lessons(store, VERSION, datetime.now(UTC))
    views.set_current_version(store, VERSION)
    store.close()
    return {"synthetic_rows_s": round(synthetic_s, 1), "lessons": made,
            "lessons_s": round(time.perf_counter() - started, 1)}


def queries(api) -> dict:
    """The main reads, each through the core function a page or command calls."""
    from sounding import browse

    with api.store.engine.connect() as conn:
        theme = conn.execute(text("SELECT key FROM themes ORDER BY id LIMIT 1 OFFSET 17")).scalar()
        post = conn.execute(text("SELECT platform_id FROM posts ORDER BY id DESC LIMIT 1 OFFSET 7")).scalar()
    deep = api.comment_page(browse.Query(theme=theme, limit=50))
    for _ in range(5):  # a cursor a few pages in: keyset, so it costs what page 1 costs
        deep = api.comment_page(browse.Query(theme=theme, limit=50, after=deep.next))
    cursor = deep.next
    return {
        "lessons (page: ranked lessons, uncached)": lambda: api.lessons(),
        "lessons table only (quotes=False)": lambda: api.lessons(quotes=False),
        "inbox page (one keyset query)": lambda: api.inbox(browse.Query(limit=50)),
        "a thread": lambda: api.thread(post),
        "comments by theme, page 1 (pages)": lambda: api.comment_page(browse.Query(theme=theme, limit=50)),
        "comments by theme, page 7 (pages)": lambda: api.comment_page(browse.Query(theme=theme, limit=50, after=cursor)),
        "comments by theme, page 1 (CLI)": lambda: api.comments(theme=theme, limit=50),
        "comments, newest page (pages)": lambda: api.comment_page(browse.Query(limit=50, sort="-created_at")),
    }


def time_queries(url: str, budget_s: float = 60.0, repeats: int = 20) -> dict:
    """p50/p95 of each query (up to ``repeats`` runs or ``budget_s`` each), and what its plans scan."""
    from sounding import Sounding

    api = Sounding(url)
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    out = {}
    for name, run in queries(api).items():
        try:
            run()  # warm: plans, caches
        except Exception as exc:  # one broken query is reported, not the end of an hour's run
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"  {name}: {out[name]['error']}", file=sys.stderr, flush=True)
            continue
        seconds = []
        started = time.perf_counter()
        while len(seconds) < repeats and time.perf_counter() - started < budget_s:
            t0 = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - t0)
        statements.clear()
        event.listen(api.store.engine, "before_cursor_execute", record)
        run()
        event.remove(api.store.engine, "before_cursor_execute", record)
        scans = explain(api.store.engine, list(statements))
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        out[name] = {"runs": len(seconds), "p50_ms": round(statistics.median(seconds) * 1000, 1),
                     "p95_ms": round(p95 * 1000, 1), "statements": len(statements), "comments_seq_scans": scans}
        print(f"  {name}: {out[name]}", file=sys.stderr, flush=True)
    api.close()
    return out


def explain(engine, statements: list[tuple[str, object]]) -> int:
    """How many of these statements' plans read all of ``comments`` (a Seq Scan on it)."""
    scans = 0
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + statement, parameters or None)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            scans += "Seq Scan on comments" in plan
        cursor.close()
    return scans


def drive(url: str) -> dict:
    """The Ray driver over every audience text of the store at ``url`` (model step replaced, see scale_driver.py)."""
    out = subprocess.run([sys.executable, str(Path(__file__).parent / "scale_driver.py"), url],
                         check=True, capture_output=True, text=True).stdout
    driven = json.loads(out.strip().splitlines()[-1])
    engine = create_engine(url)
    with engine.connect() as conn:
        driven["comments"] = conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
    engine.dispose()
    return driven


def run(server: str, comments: int, folder: Path, driver: bool = True, keep: bool = False,
        name: str = "sounding_scale") -> dict:
    """Generate, import (child process), synthesize analysis, time the queries; drop the database."""
    path = folder / f"pg_{comments}.jsonl"
    started = time.perf_counter()
    generate(path, comments)
    generate_s = time.perf_counter() - started
    url = create_database(server, name)
    try:
        out = subprocess.run([sys.executable, __file__, "--child-import", url, str(path)],
                             check=True, capture_output=True, text=True).stdout
        imported = json.loads(out.strip().splitlines()[-1])
        path.unlink()
        imported["rows_per_s"] = round(imported["read"] / imported["seconds"], 1)
        print(f"generated in {generate_s:.0f} s; imported: {imported}", file=sys.stderr, flush=True)
        driven = drive(url) if driver else None
        analysis = synthesize_analysis(url)
        print(f"analysis (synthetic rows, real lessons): {analysis}", file=sys.stderr, flush=True)
        timed = time_queries(url)
    finally:
        if not keep:
            drop_database(server, name)
    return {"comments": comments, "generate_s": round(generate_s, 1), "import": imported,
            "analysis": {**analysis, "note": "enrichments, themes and theme members generated SYNTHETICALLY "
                                             "in SQL (no model run); lessons by the real refresh_lessons"},
            "queries": timed, "ray_driver": driven}


def print_table(result: dict) -> None:
    imp = result["import"]
    print(f"\nPostgreSQL, {result['comments']:,} comments: import {imp['seconds']:,.1f} s "
          f"({imp['rows_per_s']:,.0f} rows/s, {imp['read']:,} rows), importer peak RSS {imp['peak_rss_mb']:,.0f} MB")
    print(f"analysis rows: {result['analysis']['note']}")
    if result.get("ray_driver"):
        d = result["ray_driver"]
        print(f"Ray driver over {d['pending']:,} pending rows ({d['ray_cpus']} CPU): {d['rows_per_s']:,.0f} rows/s, "
              f"peak RSS {d['driver_peak_rss_mb']:,.0f} MB; RSS (rows, MB): {d['driver_rss_mb_by_rows']}")
        print(f"  {d['note']}")
    print(f"{'query':<52} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9} {'stmts':>6} {'seq scans of comments':>22}")
    for name, q in result["queries"].items():
        if "error" in q:
            print(f"{name:<52} {q['error']}")
            continue
        print(f"{name:<52} {q['runs']:>5} {q['p50_ms']:>9,.1f} {q['p95_ms']:>9,.1f} {q['statements']:>6} "
              f"{q['comments_seq_scans']:>22}")


if __name__ == "__main__":
    if sys.argv[1] == "--child-import":
        sys.path.insert(0, str(Path(__file__).parents[1] / "src"))
        child_import(sys.argv[2], sys.argv[3])

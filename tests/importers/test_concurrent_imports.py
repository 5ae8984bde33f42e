"""Issue 10 item 6 (the import side): two imports into a store that does not exist yet both succeed.

Each import is a real ``sounding import`` process. Both load the CLI first and then start at the
same instant, so their migrations and first batches race as two users' would. On SQLite the store
is a file that does not exist yet; on PostgreSQL an empty database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sounding.store import Store

from importer_helpers import good_rows, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = (
    "import sys, time\n"
    "from sounding.cli import app\n"
    "start = float(sys.argv[1])\n"
    "time.sleep(max(0.0, start - time.time()))\n"
    "app(sys.argv[2:])\n"
)


def _import_together(url: str, files: list[Path]) -> list[subprocess.CompletedProcess]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.time() + 3.0  # both interpreters have loaded the CLI by then
    procs = [
        subprocess.Popen([sys.executable, "-c", LAUNCH, str(start), "--db", url, "import", str(path), "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for path in files
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return out


def test_two_imports_into_a_store_that_does_not_exist_yet(store_url, tmp_path):
    """Four imports (two pairs of files) start together on a new store; then once more on another."""
    files = []
    for name in "abcd":
        rows = [dict(r, id=f"{name}-{r['id']}", **({"parent_id": f"{name}-{r['parent_id']}"} if "parent_id" in r else {}))
                for r in good_rows(threads=10)]
        files.append(write_jsonl(tmp_path / f"{name}.jsonl", rows))
    urls = [store_url, _another(store_url, tmp_path)]
    for url in urls:
        for result in _import_together(url, files):
            assert result.returncode == 0, result.stderr[-2000:]
            (report,) = json.loads(result.stdout)
            assert report["rejected"] == 0
        store = Store.open(url)
        try:
            counts = store.counts()
        finally:
            store.close()
        assert (counts["posts"], counts["comments"]) == (40, 120)


def _another(store_url: str, tmp_path: Path) -> str:
    """A second store that does not exist yet, of the same kind."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'second.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(store_url)
    name = f"{url.database}_2"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)

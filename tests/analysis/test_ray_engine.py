"""`analyze --engine ray` on a real local Ray cluster: the local engine's results, and clean resumes.

Each run is compared with the local engine on the same comments (the bundled airline sample): the same
enrichment rows (labels and language equal, embeddings within float tolerance) and the same themes.
A worker that dies mid-run and a driver killed with SIGKILL mid-run both end in that same state.
"""

from __future__ import annotations

import gzip
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

ray = pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install 'sounding[ray]'")

from sounding import Sounding  # noqa: E402
from sounding.analysis import embed, pipeline, ray_engine, reader  # noqa: E402
from sounding.store.models import Enrichment, Theme, ThemeMember  # noqa: E402

SAMPLE = files("sounding").joinpath("data/sample/twacs_airlines.jsonl.gz")
FAST_LINES = 3_000  # ~1,650 distinct audience texts
QUALITY_LINES = 300  # ~170: quality mode is ~10x slower on 2 shared cores


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """A local cluster with 2 worker CPUs, shared by every test here (it takes seconds to start)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # the test's own step wrappers travel to the actors by value (workers cannot import tests/)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.shutdown()


def sample(folder: Path, lines: int) -> Path:
    path = folder / f"sample_{lines}.jsonl"
    if not path.exists():
        with gzip.open(str(SAMPLE), "rt", encoding="utf-8") as source:
            path.write_text("".join(line for _, line in zip(range(lines), source)), encoding="utf-8")
    return path


def loaded(url: str, data: Path) -> Sounding:
    api = Sounding(url)
    api.import_file(data)
    return api


def state(api: Sounding) -> tuple[dict, dict]:
    """Enrichment rows by text hash, and themes as {key: (name, member hashes)}."""
    with api.store.engine.connect() as conn:
        rows = {r.text_hash: r for r in conn.execute(select(Enrichment)).all()}
        members: dict[int, set] = {}
        for text_hash, theme_id in conn.execute(select(ThemeMember.text_hash, ThemeMember.theme_id)).all():
            members.setdefault(theme_id, set()).add(text_hash)
        themes = {key: (name, frozenset(members.get(tid, ()))) for tid, key, name in
                  conn.execute(select(Theme.id, Theme.key, Theme.name)).all()}
    themes["(unclustered)"] = (None, frozenset(members.get(None, ())))
    return rows, themes


def assert_same(got: tuple[dict, dict], want: tuple[dict, dict], exact_vectors: bool) -> None:
    rows, themes = got
    want_rows, want_themes = want
    assert rows.keys() == want_rows.keys() and len(rows) > 0
    for text_hash, row in rows.items():
        ref = want_rows[text_hash]
        assert (row.model_version, row.sentiment, row.intent, row.lang) == (
            ref.model_version, ref.sentiment, ref.intent, ref.lang), text_hash
        assert row.sentiment_score == pytest.approx(ref.sentiment_score, abs=1e-4)
        assert row.intent_score == pytest.approx(ref.intent_score, abs=1e-4)
        a, b = reader.decode_embeddings([row.embedding, ref.embedding])
        if exact_vectors:
            assert row.embedding == ref.embedding
        else:
            np.testing.assert_allclose(a, b, atol=2e-3)
    assert themes == want_themes


@pytest.fixture(scope="module")
def fast_reference(tmp_path_factory):
    """The local engine's end state on the fast-mode sample (SQLite)."""
    folder = tmp_path_factory.mktemp("reference")
    api = loaded(str(folder / "local.db"), sample(folder, FAST_LINES))
    report = api.analyze(mode="fast")
    assert report.enriched > 1_000 and report.new_themes > 0
    yield state(api), folder
    api.close()


def test_ray_engine_gives_the_local_engines_rows_and_themes(store_url, fast_reference):
    reference, folder = fast_reference
    api = loaded(store_url, sample(folder, FAST_LINES))
    try:
        report = api.analyze(mode="fast", engine="ray")
        assert report.enriched == len(reference[0])
        assert_same(state(api), reference, exact_vectors=True)
        import ray.data  # blocks stay small, so the driver never holds a shard's worth of rows

        assert ray.data.DataContext.get_current().target_max_block_size == ray_engine.BLOCK_BYTES
        again = api.analyze(mode="fast", engine="ray")  # nothing pending: no model work, no new rows
        assert (again.enriched, again.themed) == (0, 0)
    finally:
        api.close()


def test_quality_mode_matches_the_local_engine(tmp_path):
    data = sample(tmp_path, QUALITY_LINES)
    local, distributed = loaded(str(tmp_path / "local.db"), data), loaded(str(tmp_path / "ray.db"), data)
    try:
        local.analyze(mode="quality")
        distributed.analyze(mode="quality", engine="ray")
        # batches are cut differently, so MiniLM's padding differs: float rounding only
        assert_same(state(distributed), state(local), exact_vectors=False)
    finally:
        local.close()
        distributed.close()


class DiesOnce:
    """An embed step whose worker process dies (no exception, no cleanup) on its first real batch."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __call__(self, texts):
        if len(texts) > 1 and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return embed.embed_fast(texts)


def test_a_worker_killed_mid_run_is_restarted_and_the_run_ends_the_same(tmp_path, fast_reference):
    reference, folder = fast_reference
    api = loaded(str(tmp_path / "ray.db"), sample(folder, FAST_LINES))
    marker = tmp_path / "died"
    steps = pipeline.default_steps("fast")
    steps.embed = DiesOnce(marker)
    try:
        report = api.analyze(steps=steps, engine="ray")
        assert marker.exists()  # a worker did die mid-run
        assert report.enriched == len(reference[0])
        assert_same(state(api), reference, exact_vectors=True)
    finally:
        api.close()


def enrichments(path: Path) -> int:
    """Rows written so far, read with plain sqlite3 (no migration, no lock: cheap enough to poll)."""
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        try:
            return conn.execute("SELECT count(*) FROM enrichments").fetchone()[0]
        except sqlite3.OperationalError:  # the table is still being created
            return 0


def test_a_driver_killed_mid_run_resumes_to_the_same_end_state(tmp_path, fast_reference):
    reference, folder = fast_reference
    db = tmp_path / "ray.db"
    loaded(str(db), sample(folder, FAST_LINES)).close()
    command = [sys.executable, "-m", "sounding.cli", "--db", str(db), "analyze", "--engine", "ray", "--mode", "fast"]
    # small batches spread the writes over the run, so the kill lands between two of them even on a fast machine
    env = {**os.environ, "SOUNDING_RAY_BATCH_SIZE": "40"}
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                              env=env)
    try:
        deadline = time.monotonic() + 240
        while enrichments(db) == 0 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local cluster it started
        driver.wait()
    partial = enrichments(db)
    assert 0 < partial < len(reference[0])
    api = Sounding(str(db))
    try:
        report = api.analyze(mode="fast", engine="ray")
        assert report.enriched == len(reference[0]) - partial  # the rest, and nothing twice
        assert_same(state(api), reference, exact_vectors=True)
    finally:
        api.close()


def test_a_missing_ray_is_a_one_line_usage_error(tmp_path, monkeypatch):
    from sounding.analysis import ray_engine
    from sounding.errors import UsageError

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(UsageError, match=r"pip install 'sounding\[ray\]'") as caught:
        ray_engine.enricher()
    assert "\n" not in str(caught.value)


def test_the_cli_rejects_an_unknown_engine_and_an_address_without_ray(tmp_path):
    def analyze(*options: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "sounding.cli", "--db", str(tmp_path / "s.db"), "analyze", *options]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    unknown = analyze("--engine", "spark")
    assert unknown.returncode == 2 and "engine must be 'local' or 'ray'" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1 and "Traceback" not in unknown.stderr
    address = analyze("--address", "auto")
    assert address.returncode == 2 and "--address needs --engine ray" in address.stderr


def test_an_address_that_does_not_answer_is_a_one_line_usage_error():
    from sounding.analysis import ray_engine
    from sounding.errors import UsageError

    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(UsageError, match="cannot reach the Ray cluster"):
            ray_engine.check_reachable(address)
    with pytest.raises(UsageError, match="HOST:PORT"):
        ray_engine.check_reachable("ray://nowhere")
    ray_engine.check_reachable("auto")  # left to Ray: it finds the cluster this machine is in

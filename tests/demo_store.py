"""The demo store the tests share: a slice of the bundled sample (what ``sounding demo`` imports),
imported and analysed the way ``sounding demo`` does it, plus one stored test and one poll.

Built once per session by the ``demo_db`` fixture (tests/conftest.py); tests that change it take
``demo_copy``. A slice (about 300 threads, 600 comments) and the fast models keep it to seconds.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sounding.api import Sounding
from sounding.core.demo import sample_path

SAMPLE_LINES = 900  # about 300 threads, 600 comments


def sample_slice(path: Path, lines: int = SAMPLE_LINES) -> Path:
    with gzip.open(sample_path(), "rt", encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
        for i, line in enumerate(source):
            if i >= lines:
                break
            out.write(line)
    return path


def add_tests_and_polls(api: Sounding) -> None:
    """A stored experiment with recorded outcomes and a poll with votes, as `sounding test`/`ask` leave them."""
    from sounding.experiments import Proportion
    from sounding.experiments.stored import create_experiment, record_outcomes
    from sounding.records import PollRecord, PostRecord

    create_experiment(api.store, "question-wording", ["plain", "friendly"], metric="replied")
    record_outcomes(api.store, "question-wording",
                    [Proportion("plain", exposures=1200, successes=96), Proportion("friendly", exposures=1180, successes=131)],
                    metric="replied")
    now = datetime(2017, 10, 20, tzinfo=UTC)
    api.store.write_records([
        PostRecord(platform="mastodon", id="poll-1", author="brand", text="Which should we fix first?",
                   created_at=now, ours=True),
        PollRecord(platform="mastodon", post_id="poll-1", options=["Wi-Fi on board", "Seat pitch", "Bag fees"],
                   votes=[41, 23, 12], taken_at=now + timedelta(days=1), voters=76),
    ])


def build_demo(base: Path) -> str:
    """Import and analyse the slice into ``base/demo.db``; returns the store's URL."""
    url = f"sqlite:///{base / 'demo.db'}"
    api = Sounding(url)
    report = api.import_file(sample_slice(base / "sample.jsonl"))
    assert report.rejected == 0
    api.analyze(mode="fast")
    add_tests_and_polls(api)
    api.close()
    return url


def copy_store(url: str, target: Path) -> str:
    """A private copy of a SQLite store (with its WAL files), for a test that changes it."""
    source = Path(url.removeprefix("sqlite:///"))
    target.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", target / f"copy.db{suffix}")
    return f"sqlite:///{target / 'copy.db'}"

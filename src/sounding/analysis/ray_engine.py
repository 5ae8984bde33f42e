"""The Ray engine for ``sounding analyze --engine ray``: the same batch steps, on a Ray Data cluster.

Why this shape:

* **Reading**: the text-hash key range is cut into shards; one Ray task per shard pages its pending
  texts with the local engine's keyset reader (:func:`sounding.analysis.reader.pending_texts`), so
  every query is an index range scan and no worker holds more than a page.
* **Models**: one actor pool per model. An embed actor loads the ONNX session once and runs it with
  ``intra_op_num_threads`` equal to the CPUs the actor holds (no oversubscription); a label actor
  loads the classifier heads once. Both call the very functions of :class:`~sounding.analysis.pipeline.Steps`.
* **Writing**: the driver streams the labelled batches back and writes them with the local engine's
  insert-or-ignore on (text_hash, model_version). A retried task or a rerun adds nothing twice, and
  pending texts are exactly those without an enrichment, so resuming after a killed worker (Ray
  restarts it and retries its batch) or a killed driver (run it again) leaves no gap.
* Themes and lessons then run on the driver exactly as for the local engine.

Ray is an optional extra and is imported only here, only when asked.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

from sounding.analysis import pipeline, reader
from sounding.errors import UsageError
from sounding.store import Store
from sounding.store.engine import make_engine

MISSING = "the Ray engine needs Ray: install the ray extra: pip install 'sounding[ray]'"


def import_ray():
    """``ray`` and ``ray.data``, or a one-line UsageError naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise UsageError(MISSING) from None
    return ray


@dataclass(frozen=True)
class Sizing:
    """How the work is cut: shards of the key range, CPUs per model actor, rows per model batch."""

    shards: int = 0  # 0 = 4 per cluster CPU, at least 8
    cpus_per_actor: int = 1  # = onnxruntime intra-op threads of an embed actor
    #: rows per model batch: small enough to stream and to lose little when a worker dies
    #: (``SOUNDING_RAY_BATCH_SIZE`` sets it for the CLI)
    batch_size: int = field(default_factory=lambda: int(os.environ.get("SOUNDING_RAY_BATCH_SIZE", "500")))
    page: int = 2_000  # rows per read query


BLOCK_BYTES = 4 * 2**20  # the most one block of rows holds (a few 2,000-row pages of texts)


def connect(address: str | None = None):
    """Join the cluster at ``address`` (``auto``, ``ray://host:10001``), or start a local one."""
    ray = import_ray()
    if not ray.is_initialized():
        check_reachable(address)
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        try:
            ray.init(address=address, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        except ConnectionError as exc:  # no cluster at that address
            raise UsageError(f"cannot reach the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    context = ray.data.DataContext.get_current()
    # Ray Data fills a block up to 128 MB by default: a shard's read task then hands over blocks of
    # up to 600,000 rows, and the driver holds whole blocks while writing them (2.2 GB peak at 10 M
    # comments against 0.66 GB at 1 M). Small blocks keep its memory the same at any size.
    context.target_max_block_size = BLOCK_BYTES
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return ray


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """A HOST:PORT or ray://HOST:PORT that does not answer: one line now, not Ray's minutes of retries."""
    if not address or address in ("auto", "local"):
        return
    target = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        port = target.port
    except ValueError:
        port = None
    if not target.hostname or port is None:
        raise UsageError(f"--address must be auto, HOST:PORT or ray://HOST:PORT, not {address!r}")
    try:
        socket.create_connection((target.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise UsageError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def shard_bounds(shards: int) -> list[tuple[str, str | None]]:
    """``shards`` contiguous ranges of the hex text-hash key (hashes are uniform, so shards are even)."""
    cuts = ["" if i == 0 else format(i * 16**8 // shards, "08x") for i in range(shards)]
    return [(cuts[i], cuts[i + 1] if i + 1 < shards else None) for i in range(shards)]


class _Reader:
    """Only an engine: workers read, they must not migrate or lock the store (the driver did)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)


def read_shard(batch: dict, url: str, version: str, page: int):
    """One shard's pending (text_hash, text), page by page (a Ray task; the batch holds one shard)."""
    store = _Reader(url)
    try:
        for start, stop in zip(batch["start"], batch["stop"]):
            for rows in reader.pending_texts(store, version, page, str(start), str(stop) if stop else None):
                yield {
                    "text_hash": np.array([h for h, _ in rows], dtype=object),
                    "text": np.array([t for _, t in rows], dtype=object),
                }
    finally:
        store.engine.dispose()


class Embedder:
    """An embed actor: the model session is created once, with intra-op threads = the actor's CPUs."""

    def __init__(self, steps: pipeline.Steps, threads: int) -> None:
        from sounding.analysis import embed

        embed.configure(threads=threads)
        self.steps = steps
        self.steps.embed([""])  # load the model now, not inside the first batch

    def __call__(self, batch: dict) -> dict:
        vectors = np.asarray(self.steps.embed(list(batch["text"])), dtype=np.float32)
        return {"text_hash": batch["text_hash"], "text": batch["text"], "vector": vectors}


class Labeller:
    """A label actor: classifier heads and language identifier stay loaded in it; the pipeline's own rows."""

    def __init__(self, steps: pipeline.Steps) -> None:
        self.steps = steps

    def __call__(self, batch: dict) -> dict:
        rows = pipeline.enrichment_rows(self.steps, list(batch["text_hash"]), list(batch["text"]), batch["vector"])
        return {key: np.array([row[key] for row in rows], dtype=object) for key in ROW_KEYS}


ROW_KEYS = ("text_hash", "model_version", "sentiment", "sentiment_score", "intent", "intent_score", "lang",
            "embedding")


def plan(steps: pipeline.Steps, url: str, cpus: int, sizing: Sizing):
    """The Ray Data pipeline: shards → read tasks → embed actor pool → label actor pool."""
    import ray.data

    shards = sizing.shards or max(8, 4 * cpus)
    bounds = shard_bounds(shards)
    actor_cpus = max(1, min(sizing.cpus_per_actor, cpus // 2))
    most = max(1, cpus // actor_cpus)
    # both pools need one actor to make progress: on a 1-CPU cluster they share it
    embed_cpus, label_cpus = (actor_cpus, 1) if cpus >= 2 else (cpus / 2, cpus / 2)
    ds = ray.data.from_items([{"start": lo, "stop": hi or ""} for lo, hi in bounds], override_num_blocks=shards)
    # reading is I/O on the database: no CPU reserved, or the model actors (which hold them all) starve it
    ds = ds.map_batches(read_shard, batch_size=1, fn_kwargs={"url": url, "version": steps.version,
                        "page": sizing.page}, num_cpus=0,
                        compute=ray.data.TaskPoolStrategy(size=min(shards, max(2, cpus))))
    # the pools grow while there are free CPUs and batches waiting (Ray Data's actor autoscaling)
    ds = ds.map_batches(Embedder, fn_constructor_args=(steps, actor_cpus), batch_size=sizing.batch_size,
                        num_cpus=embed_cpus, compute=ray.data.ActorPoolStrategy(min_size=1, max_size=most),
                        batch_format="numpy")
    return ds.map_batches(Labeller, fn_constructor_args=(steps,), batch_size=sizing.batch_size,
                          num_cpus=label_cpus, compute=ray.data.ActorPoolStrategy(min_size=1, max_size=max(1, cpus)),
                          batch_format="numpy")


def enrich(
    store: Store,
    steps: pipeline.Steps,
    on_progress: Callable[[int], None] | None = None,
    address: str | None = None,
    sizing: Sizing = Sizing(),
) -> int:
    """The Ray engine's enrich step: same signature and same rows as :func:`pipeline.enrich`."""
    if reader.count_pending(store, steps.version) == 0:
        return 0  # nothing to do: do not start a cluster for it
    ray = connect(address)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    url = store.engine.url.render_as_string(hide_password=False)
    if store.dialect == "sqlite":
        database = store.engine.url.database
        if database and database != ":memory:":  # workers start elsewhere: an absolute path
            url = store.engine.url.set(database=os.path.abspath(database)).render_as_string(hide_password=False)
    done = 0
    for batch in plan(steps, url, cpus, sizing).iter_batches(batch_size=None, batch_format="numpy"):
        keys = [k for k in ROW_KEYS if k in batch]
        rows = [
            {k: (float(v) if k.endswith("_score") else v) for k, v in zip(keys, values)}
            for values in zip(*(batch[k] for k in keys))
        ]
        pipeline.write_enrichments(store, rows)
        done += len(rows)
        if on_progress:
            on_progress(len(rows))
    return done


def enricher(address: str | None = None, sizing: Sizing = Sizing()) -> Callable:
    """``enrich`` bound to a cluster, for :func:`sounding.analysis.pipeline.analyze`'s ``enricher``."""
    import_ray()  # fail before any work when Ray is missing

    def run(store: Store, steps: pipeline.Steps, on_progress: Callable[[int], None] | None = None) -> int:
        return enrich(store, steps, on_progress, address=address, sizing=sizing)

    return run

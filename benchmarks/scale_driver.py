"""The Ray driver's memory over every pending row of a large store, with the model step REPLACED.

Why replaced: the models run ~800 comments/s on this machine's 2 CPUs, so 10 M texts would take
hours. What stays real is everything the driver does: counting pending rows, planning the shards,
Ray Data's read tasks paging the store with the keyset reader, the actor pools, streaming every
labelled batch back and writing it with the local engine's insert-or-ignore. The injected steps
return constant labels and an 8-d zero vector (no model work), so memory is the driver's own.
Ray is started with ONE CPU (the machine is shared). The driver's RSS is sampled as it goes.

    python benchmarks/scale_driver.py URL   # run as a script: Ray pickles these steps by value
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def cheap_embed(texts):
    return np.zeros((len(texts), 8), dtype=np.float32)


def cheap_classify(texts, vectors):
    from sounding.analysis.pipeline import Labels

    n = len(texts)
    return Labels(["neutral"] * n, np.zeros(n), ["other"] * n, np.full(n, 0.5))


def cheap_language(texts):
    return ["en"] * len(texts)


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def split_mb() -> dict:
    """Resident memory by kind: private (anon), Ray's object store pages mapped in (shmem), files."""
    with open("/proc/self/status") as handle:
        fields = dict(line.split(":", 1) for line in handle if line.startswith("Rss"))
    return {name[3:].lower(): round(int(value.split()[0]) / 1024, 1) for name, value in fields.items()}


def main(url: str) -> None:
    import logging

    import ray

    from sounding.analysis import pipeline, ray_engine, reader
    from sqlalchemy import delete

    from sounding.store import Store
    from sounding.store.models import Enrichment

    steps = pipeline.Steps(cheap_embed, cheap_classify, cheap_language, None, "driver-bench-cheap-steps")
    store = Store.open(url)
    with store.engine.begin() as conn:  # a rerun on the same store measures a whole pass again
        conn.execute(delete(Enrichment).where(Enrichment.model_version == steps.version))
    pending = reader.count_pending(store, steps.version)
    started = time.perf_counter()
    ray.init(num_cpus=1, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    startup = time.perf_counter() - started
    samples: list[tuple[int, float]] = [(0, round(rss_mb(), 1))]
    done = [0]
    kinds: list[tuple[int, dict]] = [(0, split_mb())]

    def progress(n: int) -> None:
        done[0] += n
        if done[0] // 250_000 != (done[0] - n) // 250_000:
            samples.append((done[0], round(rss_mb(), 1)))
            kinds.append((done[0], split_mb()))

    started = time.perf_counter()
    enriched = ray_engine.enrich(store, steps, progress)
    seconds = time.perf_counter() - started
    samples.append((enriched, round(rss_mb(), 1)))
    left = reader.count_pending(store, steps.version)
    store.close()
    ray.shutdown()
    print(json.dumps({
        "pending": pending, "enriched": enriched, "left_pending": left, "ray_cpus": 1,
        "startup_s": round(startup, 1), "seconds": round(seconds, 1), "rows_per_s": round(enriched / seconds, 1),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "driver_rss_mb_by_rows": samples,
        "driver_rss_kinds_mb_by_rows": kinds,
        "note": "model step REPLACED by constant labels and 8-d zero vectors (the models would take hours here); "
                "reading, planning, Ray Data streaming and the write-back are the real ones",
    }))


if __name__ == "__main__":
    main(sys.argv[1])

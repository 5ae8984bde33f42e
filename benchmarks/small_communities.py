"""Small communities: do 30-120 comments with planted topics give themes and lessons?

Each draw (seeded) takes 10 random intents of the Banking77 *test* split (``../shared/data``) and
``per_topic`` random texts of each: 3, 6 or 12 texts, i.e. 30, 60 or 120 comments under one post,
written by 2/3 as many distinct people (20, 40 or 80; every person writes at least one comment,
the rest are spread at random). A planted topic counts as **recovered** when some reported theme
holds >= 3 of its texts and >= 2/3 of that theme's members come from it. A **lesson** is a theme
that passes the lesson rule (>= 3 comments by >= 2 people; :data:`sounding.analysis.lessons`).

Anchor, same embeddings, same run: KMeans told the true k (10), its clusters taken as themes
under the same lesson rule.

    PYTHONPATH=src .venv/bin/python benchmarks/small_communities.py [--draws 20] [--sizes 3 6 12]

Prints a table and writes ``benchmarks/results/small_communities.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from themes_bench import RESULTS, embeddings_for, load_dataset  # noqa: E402

TOPICS = 10


def draw(y: np.ndarray, per_topic: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Row indices, their planted topic (0..9) and one author per row."""
    rng = np.random.default_rng(seed)
    intents = rng.choice(sorted(set(y.tolist())), TOPICS, replace=False)
    rows, topic = [], []
    for t, intent in enumerate(intents):
        pool = np.flatnonzero(y == intent)
        rows += rng.choice(pool, per_topic, replace=False).tolist()
        topic += [t] * per_topic
    n = len(rows)
    people = max(1, round(2 * n / 3))
    authors = np.concatenate([np.arange(people), rng.integers(0, people, n - people)])
    rng.shuffle(authors)
    return np.array(rows), np.array(topic), [f"person-{a}" for a in authors]


def evaluate(labels: np.ndarray, topic: np.ndarray, authors: list[str]) -> dict:
    """Planted topics recovered, and lessons (themes with >= 3 comments by >= 2 people)."""
    from sounding.analysis.lessons import is_lesson

    recovered = set()
    lessons = 0
    for c in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == c)
        if is_lesson(len(members), len({authors[i] for i in members})):
            lessons += 1
        counts = np.bincount(topic[members], minlength=TOPICS)
        best = int(counts.argmax())
        if counts[best] >= 3 and counts[best] >= 2 / 3 * len(members):
            recovered.add(best)
    return {"recovered": len(recovered), "lessons": lessons,
            "unclustered": round(float((labels < 0).mean()), 3)}


def ours(E: np.ndarray, texts: list[str], authors: list[str]) -> np.ndarray:
    from sounding.analysis.themes import fit_themes

    return fit_themes(E, texts, authors=authors).labels


def kmeans(E: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(k, random_state=0, n_init=10).fit_predict(E)


def run(E_all, texts_all, y, sizes, draws) -> dict:
    out = {}
    for per_topic in sizes:
        rows_out = {"ours": [], "kmeans_told_k": []}
        seconds = []
        for seed in range(draws):
            rows, topic, authors = draw(y, per_topic, seed)
            E, texts = E_all[rows], [texts_all[i] for i in rows]
            started = time.perf_counter()
            labels = ours(E, texts, authors)
            seconds.append(time.perf_counter() - started)
            rows_out["ours"].append(evaluate(labels, topic, authors))
            rows_out["kmeans_told_k"].append(evaluate(kmeans(E, TOPICS), topic, authors))
        n = per_topic * TOPICS
        out[n] = {
            "comments": n,
            "people": round(2 * n / 3),
            "draws": draws,
            "ours_seconds_median": round(float(np.median(seconds)), 3),
            **{
                method: {
                    "recovered_mean": round(float(np.mean([r["recovered"] for r in res])), 2),
                    "recovered_min": int(min(r["recovered"] for r in res)),
                    "lessons_mean": round(float(np.mean([r["lessons"] for r in res])), 2),
                    "unclustered_mean": round(float(np.mean([r["unclustered"] for r in res])), 3),
                    "per_draw": res,
                }
                for method, res in rows_out.items()
            },
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--sizes", type=int, nargs="*", default=[3, 6, 12], help="texts per planted topic")
    ap.add_argument("--out", default=str(RESULTS / "small_communities.json"))
    args = ap.parse_args()
    texts, y = load_dataset("banking77-test")
    E, _ = embeddings_for("banking77-test", texts)
    results = run(E, texts, y, args.sizes, args.draws)
    print(f"{args.draws} draws of 10 Banking77 test intents; recovered = a theme holds >= 3 of the topic's "
          "texts and >= 2/3 of its members are from it")
    print("| comments (people) | method | topics recovered (mean, min) of 10 | lessons (mean) | unclustered |")
    print("|---|---|---|---|---|")
    for n, r in results.items():
        for method, label in (("ours", "**ours** (k found)"), ("kmeans_told_k", "KMeans told k=10")):
            m = r[method]
            print(f"| {n} ({r['people']}) | {label} | {m['recovered_mean']:.1f} ({m['recovered_min']}) | "
                  f"{m['lessons_mean']:.1f} | {100 * m['unclustered_mean']:.0f} % |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_avg": os.getloadavg(), "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

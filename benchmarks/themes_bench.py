"""Themes benchmark: our clustering vs BERTopic defaults vs KMeans told k, on the SAME embeddings.

Data (``../shared/data``): Banking77 *test* split (3,080 customer messages, 77 intents; the number is
NOT given to our algorithm or BERTopic), TwACS (491 labelled airline tweets, 14 intents) and the
negative tweets of Twitter US Airline Sentiment (about 9k, 10 coarse "negative reasons", @handles and
links removed) as further datasets, and the Banking77 *train* split (10,003) on which our
parameters were chosen, shown as such.
Embeddings: :func:`sounding.analysis.embed.embed` (all-MiniLM-L6-v2 int8), cached in /tmp as .npy.

Metrics: NMI and ARI (scikit-learn, x100) against the true intents. Unclustered comments (label -1)
are scored two ways: each as its own singleton cluster ("singletons", the main figure) and all
together as one extra cluster ("one -1 label"). Times are wall-clock seconds of the clustering call
on the same machine in the same run: ours is ``fit_themes`` end to end (k-NN graph, Leiden, pruning,
c-TF-IDF labels, representatives) and its clustering step alone; BERTopic is
``BERTopic().fit_transform(texts, embeddings)`` (UMAP + HDBSCAN + c-TF-IDF), run in a subprocess of
the separate benchmark venv (torch is not a dependency of sounding), on the embeddings saved to .npy.

Also measured: determinism (same keys on a re-run and on shuffled input), the incremental path
(first half fitted, second half joined with ``existing=``), and scale on synthetic data (Banking77
train vectors plus noise, tiled to 50k by default).

    PYTHONPATH=src .venv/bin/python benchmarks/themes_bench.py [--bertopic-python .venv-bench/bin/python]
        [--scale 50000 ...] [--no-bertopic] [--repeats 3]

Prints a table and writes ``benchmarks/results/themes_bench.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SOUNDING_SHARED_DATA", ROOT.parent / "shared" / "data"))
RESULTS = Path(__file__).parent / "results"
CACHE = Path(os.environ.get("THEMES_BENCH_CACHE", "/tmp/sounding-themes-bench"))


# --------------------------------------------------------------------------- BERTopic worker
def bertopic_worker(emb_path: str, texts_path: str, out_path: str) -> None:
    """Runs in the benchmark venv: no sounding import, only bertopic."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import bertopic
    from bertopic import BERTopic

    embeddings = np.load(emb_path)
    texts = json.loads(Path(texts_path).read_text())
    started = time.perf_counter()
    topics, _ = BERTopic().fit_transform(texts, embeddings)
    seconds = time.perf_counter() - started
    Path(out_path).write_text(
        json.dumps({"labels": [int(t) for t in topics], "seconds": seconds, "version": bertopic.__version__})
    )


# --------------------------------------------------------------------------- data
def clean_twacs(text: str) -> str:
    text = re.sub(r"<cust__|__cust>|<rep__|__rep>|__\w+?__", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def load_dataset(name: str) -> tuple[list[str], np.ndarray]:
    import pandas as pd

    if name in ("banking77-test", "banking77-train"):
        df = pd.read_csv(DATA / "banking77" / f"{name.split('-')[1]}.csv")
        return df["text"].astype(str).tolist(), df["category"].to_numpy()
    if name == "twacs":
        df = pd.read_csv(DATA / "twacs-airlines" / "airlines_500onlyb.csv")
        return [clean_twacs(t) for t in df["first_utterance"].astype(str)], df["tag"].to_numpy()
    if name == "airline-negative":
        df = pd.read_csv(DATA / "twitter-airline-sentiment" / "Tweets.csv")
        df = df[(df["airline_sentiment"] == "negative") & df["negativereason"].notna()]
        df = df.assign(text=[clean_tweet(t) for t in df["text"].astype(str)]).drop_duplicates("text")
        return df["text"].tolist(), df["negativereason"].to_numpy()
    raise ValueError(name)


def clean_tweet(text: str) -> str:
    """Drop @handles (the airline's name would otherwise dominate) and links."""
    text = re.sub(r"@\w+|https?://\S+", " ", html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


def embeddings_for(name: str, texts: list[str]) -> tuple[np.ndarray, float | None]:
    from sounding.analysis.embed import EMBED_MODEL_VERSION, embed

    digest = hashlib.sha1(("\n".join(texts) + EMBED_MODEL_VERSION).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{digest}.npy"
    if path.exists():
        return np.load(path), None
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    E = embed(texts)
    seconds = time.perf_counter() - started
    np.save(path, E)
    return E, seconds


# --------------------------------------------------------------------------- scoring
def score(y: np.ndarray, labels: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels).copy()
    noise = labels < 0
    singletons = labels.copy()
    singletons[noise] = labels.max(initial=0) + 1 + np.arange(noise.sum())
    return {
        "themes": len(set(labels[~noise].tolist())),
        "unclustered_share": round(float(noise.mean()), 4),
        "nmi": round(100 * normalized_mutual_info_score(y, singletons), 1),
        "ari": round(100 * adjusted_rand_score(y, singletons), 1),
        "nmi_one_label": round(100 * normalized_mutual_info_score(y, labels), 1),
        "ari_one_label": round(100 * adjusted_rand_score(y, labels), 1),
    }


def median(xs: list[float]) -> float:
    return float(np.median(xs))


# --------------------------------------------------------------------------- methods
def run_ours(E, texts, y, repeats):
    from sounding.analysis.themes import fit_themes

    totals, clusters, result = [], [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fit_themes(E, texts)
        totals.append(time.perf_counter() - started)
        clusters.append(result.timings["cluster"])
    out = score(y, result.labels)
    out.update(seconds=round(median(totals), 3), cluster_seconds=round(median(clusters), 3), runs=repeats)
    out["examples"] = [
        {
            "name": t.name,
            "size": t.size,
            "top_words": t.top_words[:6],
            "quotes": [texts[i] for i in t.representatives],
        }
        for t in result.themes[:5]
    ]
    return out, result


def run_kmeans(E, y, k, repeats):
    from sklearn.cluster import KMeans

    times, labels = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        labels = KMeans(k, random_state=0).fit_predict(E)
        times.append(time.perf_counter() - started)
    out = score(y, labels)
    out.update(seconds=round(median(times), 3), runs=repeats, told_k=k)
    return out


def run_bertopic(python: str, E, texts, y):
    with tempfile.TemporaryDirectory() as tmp:
        emb, txt, res = (os.path.join(tmp, f) for f in ("emb.npy", "texts.json", "out.json"))
        np.save(emb, E)
        Path(txt).write_text(json.dumps(texts))
        cmd = [python, str(Path(__file__).resolve()), "--bertopic-worker", emb, txt, res]
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=1200)
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:]}
        data = json.loads(Path(res).read_text())
    out = score(y, np.asarray(data["labels"]))
    out.update(seconds=round(data["seconds"], 3), runs=1, version=data["version"])
    return out


def stability(E, texts, y):
    from sounding.analysis.themes import fit_themes

    a = fit_themes(E, texts)
    b = fit_themes(E, texts)
    perm = np.random.default_rng(0).permutation(len(texts))
    c = fit_themes(E[perm], [texts[i] for i in perm])
    # incremental: first half fitted, second half joins (or forms new themes)
    half = np.random.default_rng(1).permutation(len(texts))
    first, second = half[: len(texts) // 2], half[len(texts) // 2 :]
    r1 = fit_themes(E[first], [texts[i] for i in first])
    r2 = fit_themes(E[second], [texts[i] for i in second], existing=r1.themes)
    keys = np.empty(len(texts), dtype=object)
    keys[first] = [r1.themes[label].key if label >= 0 else None for label in r1.labels]
    keys[second] = [r2.themes[label].key if label >= 0 else None for label in r2.labels]
    ids: dict[str, int] = {}
    codes = np.array([-1 if k is None else ids.setdefault(k, len(ids)) for k in keys])
    joined = float(np.mean([label >= 0 and r2.themes[label].key not in r2.new_keys for label in r2.labels]))
    # novel topics: 10 intents held out of the first batch, then sent with as many known-intent comments
    rng = np.random.default_rng(2)
    held = set(rng.choice(sorted(set(y.tolist())), 10, replace=False).tolist())
    known = np.array([i for i in range(len(y)) if y[i] not in held])
    novel = np.array([i for i in range(len(y)) if y[i] in held])
    extra = rng.choice(known, len(novel), replace=False)
    base = np.setdiff1d(known, extra)
    n1 = fit_themes(E[base], [texts[i] for i in base])
    batch = np.concatenate([novel, extra])
    n2 = fit_themes(E[batch], [texts[i] for i in batch], existing=n1.themes)
    is_new = np.array([label >= 0 and n2.themes[label].key in set(n2.new_keys) for label in n2.labels])
    novel_topics = {
        "held_out_intents": 10,
        "novel_comments_in_new_themes": round(float(is_new[: len(novel)].mean()), 4),
        "known_comments_in_new_themes": round(float(is_new[len(novel) :].mean()), 4),
        "known_comments_in_existing_themes": round(
            float(
                np.mean(
                    [
                        label >= 0 and not new
                        for label, new in zip(n2.labels[len(novel) :], is_new[len(novel) :])
                    ]
                )
            ),
            4,
        ),
        "new_themes": len(n2.new_keys),
    }
    return {
        "novel_topics": novel_topics,
        "rerun_identical_keys": [t.key for t in a.themes] == [t.key for t in b.themes]
        and bool(np.array_equal(a.labels, b.labels)),
        "shuffled_input_same_keys": sorted(t.key for t in a.themes) == sorted(t.key for t in c.themes),
        "incremental": {
            "first_half_themes": len(r1.themes),
            "second_half_joined_existing_share": round(joined, 4),
            "second_half_new_themes": len(r2.new_keys),
            "old_keys_kept": [t.key for t in r2.themes[: len(r1.themes)]] == [t.key for t in r1.themes],
            **{k: v for k, v in score(y, codes).items()},
        },
    }


def scale_run(E_base, texts_base, n):
    """Synthetic: base vectors tiled to ``n`` with Gaussian noise (renormalised)."""
    from sounding.analysis.themes import fit_themes

    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(E_base), n)
    E = np.empty((n, E_base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):  # chunked: no n x 384 float64 temporary
        stop = min(n, start + 100_000)
        chunk = E_base[idx[start:stop]] + rng.normal(0, 0.02, (stop - start, E_base.shape[1])).astype(
            np.float32
        )
        E[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    texts = [texts_base[i] for i in idx]
    started = time.perf_counter()
    r = fit_themes(E, texts)
    seconds = time.perf_counter() - started
    return {
        "n": n,
        "seconds": round(seconds, 2),
        "timings": r.timings,
        "themes": len(r.themes),
        "unclustered_share": round(r.unclustered_share, 4),
    }


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bertopic-worker", nargs=3, metavar=("EMB", "TEXTS", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--bertopic-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    ap.add_argument("--no-bertopic", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale", type=int, nargs="*", default=[50_000, 1_000_000])
    ap.add_argument("--out", default=str(RESULTS / "themes_bench.json"))
    ap.add_argument("--datasets", nargs="*", default=["banking77-test", "twacs", "airline-negative", "banking77-train"])
    ap.add_argument("--no-loso", action="store_true", help="skip the leave-one-set-out table (themes_loso.py)")
    args = ap.parse_args()
    if args.bertopic_worker:
        bertopic_worker(*args.bertopic_worker)
        return

    import sklearn

    from sounding.analysis.themes import ThemeConfig
    from sounding.analysis.themes_graph import KnnLeiden

    use_bertopic = not args.no_bertopic and Path(args.bertopic_python).exists()
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_at_start": os.getloadavg(),
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "note": "2 shared cores, other jobs running: absolute times vary; compare within one run.",
        },
        "params": {"config": vars(ThemeConfig()), "clusterer": vars(KnnLeiden())},
        "datasets": {},
    }
    rows = []
    for name, k_true, with_bertopic in (
        ("banking77-test", 77, True),
        ("twacs", 14, True),
        ("airline-negative", 10, True),
        ("banking77-train", 77, False),
    ):
        if name not in args.datasets:
            continue
        texts, y = load_dataset(name)
        E, embed_seconds = embeddings_for(name, texts)
        entry: dict = {
            "n": len(texts),
            "true_intents": len(set(y.tolist())),
            "embed_seconds": embed_seconds,
        }
        entry["ours"], _ = run_ours(E, texts, y, args.repeats)
        entry["kmeans_told_k"] = run_kmeans(E, y, k_true, args.repeats)
        if use_bertopic and with_bertopic:
            entry["bertopic_default"] = run_bertopic(args.bertopic_python, E, texts, y)
            if "seconds" in entry["bertopic_default"]:
                entry["speedup_vs_bertopic"] = {
                    "total": round(entry["bertopic_default"]["seconds"] / entry["ours"]["seconds"], 1),
                    "cluster_step": round(
                        entry["bertopic_default"]["seconds"] / entry["ours"]["cluster_seconds"], 1
                    ),
                }
            # ours again after BERTopic, so that load drift does not favour one side
            again, _ = run_ours(E, texts, y, args.repeats)
            entry["ours_after_bertopic_seconds"] = again["seconds"]
        if name == "banking77-test":
            entry["stability"] = stability(E, texts, y)
        if name == "banking77-train":
            entry["note"] = "tuning split: the parameters were chosen here"
        report["datasets"][name] = entry
        for method in ("ours", "bertopic_default", "kmeans_told_k"):
            if method in entry and "nmi" in entry[method]:
                m = entry[method]
                rows.append(
                    (
                        name,
                        method,
                        m["themes"],
                        m["unclustered_share"],
                        m["nmi"],
                        m["ari"],
                        m["nmi_one_label"],
                        m["ari_one_label"],
                        m["seconds"],
                        m.get("cluster_seconds", ""),
                    )
                )
        print(f"done {name}", file=sys.stderr, flush=True)

    if args.scale:
        texts, _ = load_dataset("banking77-train")
        E, _ = embeddings_for("banking77-train", texts)
        report["scale"] = [scale_run(E, texts, n) for n in args.scale]
    report["machine"]["load_avg_at_end"] = os.getloadavg()

    header = (
        "dataset",
        "method",
        "themes",
        "unclust",
        "NMI",
        "ARI",
        "NMI(-1)",
        "ARI(-1)",
        "sec",
        "cluster s",
    )
    widths = [16, 17, 6, 7, 5, 5, 7, 7, 7, 9]
    line = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True))
    print(line(header))
    print("-" * (sum(widths) + 2 * len(widths)))
    for r in rows:
        r = list(r)
        r[3] = f"{100 * r[3]:.1f}%"
        print(line(r))
    print("NMI/ARI: unclustered as singletons; (-1): unclustered as one extra label.")
    for name, entry in report["datasets"].items():
        if "speedup_vs_bertopic" in entry:
            s = entry["speedup_vs_bertopic"]
            print(
                f"{name}: ours {s['total']}x faster than BERTopic end to end, "
                f"{s['cluster_step']}x clustering step"
            )
    st = report["datasets"]["banking77-test"]["stability"]
    print(
        f"stability: rerun same keys={st['rerun_identical_keys']}, "
        f"shuffled same keys={st['shuffled_input_same_keys']}"
    )
    inc = st["incremental"]
    print(
        f"incremental (half, then half with existing=): "
        f"joined existing {100 * inc['second_half_joined_existing_share']:.1f}%, "
        f"new themes {inc['second_half_new_themes']}, old keys kept={inc['old_keys_kept']}, "
        f"NMI {inc['nmi']} ARI {inc['ari']}"
    )
    nt = st["novel_topics"]
    print(
        f"novel topics (10 intents held out, then sent with as many known comments): "
        f"{100 * nt['novel_comments_in_new_themes']:.1f}% of novel comments in new themes, "
        f"{100 * nt['known_comments_in_existing_themes']:.1f}% of known ones in existing themes, "
        f"{nt['new_themes']} new themes"
    )
    for s in report.get("scale", []):
        print(
            f"scale n={s['n']}: {s['seconds']} s, {s['themes']} themes, "
            f"unclustered {100 * s['unclustered_share']:.1f}% {s['timings']}"
        )
    if not args.no_loso:
        import themes_loso

        report["leave_one_set_out"] = themes_loso.run()
        themes_loso.print_table(report["leave_one_set_out"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

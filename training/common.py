"""Shared loaders for the training scripts and benchmarks (read-only access to /work/shared/data).

Every loader returns plain Python lists. Embeddings of each dataset are cached once under
``$SOUNDING_CACHE`` (default ``/tmp/sounding_cache``) as ``<name>.<mode>.npy``, keyed by a hash of
the texts and the embedding model version so a stale cache is never reused.
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

DATA = Path(os.environ.get("SOUNDING_DATA", "/work/shared/data"))
CACHE = Path(os.environ.get("SOUNDING_CACHE", "/tmp/sounding_cache"))
SEED = 13

SENT_LABELS = ["negative", "neutral", "positive"]
INTENT_LABELS = ["question", "suggestion", "problem", "praise", "other"]
ARDOC_MAP = {
    "information seeking": "question",
    "feature request": "suggestion",
    "problem discovery": "problem",
    "information giving": "other",
}

_U_ESC = re.compile(r"\\u([0-9a-fA-F]{4})")


def _decode_u(s: str) -> str:
    return _U_ESC.sub(lambda m: chr(int(m.group(1), 16)), s)


def _norm_key(s: str) -> str:
    """Matching key used to find SemEval pool tweets that are in TweetEval val."""
    from sounding.analysis.classify import normalize_text

    s = normalize_text(html.unescape(_decode_u(s))).lower()
    s = re.sub(r"^rt\b", "", s)
    return re.sub(r"[^0-9a-z]+", "", s)  # letters and digits only: quotes, ellipses, spacing differ


# ---------------------------------------------------------------- sentiment
def tweeteval(split: str) -> tuple[list[str], list[str]]:
    d = DATA / "tweeteval-sentiment"
    texts = (d / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (d / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    texts, labels = texts[: len([x for x in labels if x.strip()])], [x for x in labels if x.strip()]
    texts = [t.rstrip("\n") for t in texts]
    return texts, [SENT_LABELS[int(x)] for x in labels]


def semeval_pool(drop_val: bool = True) -> tuple[list[str], list[str]]:
    """SemEval-2017 4A training pool, deduped by tweet id; tweets found in TweetEval val removed."""
    d = DATA / "tweeteval-sentiment" / "semeval2017-4A-train"
    seen: set[str] = set()
    texts, labels = [], []
    for f in sorted(d.glob("*.tsv")):
        for line in f.read_text(encoding="utf-8").split("\n"):
            parts = line.split("\t")
            if len(parts) < 3 or parts[1] not in SENT_LABELS:
                continue
            tid, lab, txt = parts[0], parts[1], parts[2]
            if tid in seen:
                continue
            seen.add(tid)
            texts.append(html.unescape(_decode_u(txt)))
            labels.append(lab)
    if drop_val:
        val_keys = {_norm_key(t) for t in tweeteval("val")[0]}
        keep = [i for i, t in enumerate(texts) if _norm_key(t) not in val_keys]
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
    return texts, labels


def vader_tweets() -> tuple[list[str], list[float]]:
    texts, scores = [], []
    for line in (DATA / "vader-groundtruth" / "tweets_GroundTruth.txt").read_text(encoding="utf-8", errors="replace").split("\n"):
        parts = line.split("\t")
        if len(parts) >= 3:
            texts.append(parts[2])
            scores.append(float(parts[1]))
    return texts, scores


def goemotions(split: str) -> tuple[list[str], list[list[str]]]:
    d = DATA / "goemotions"
    names = (d / "emotions.txt").read_text(encoding="utf-8").split("\n")
    texts, labels = [], []
    with open(d / f"{split}.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 2:
                continue
            texts.append(row[0])
            labels.append([names[int(i)] for i in row[1].split(",")])
    return texts, labels


# ---------------------------------------------------------------- intent
def ardoc() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(DATA / "ardoc-icsme2015" / "truth_set_ICSME2015.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["review"])
            labels.append(ARDOC_MAP[row["class"].strip()])
    return texts, labels


def marc(split: str = "train") -> tuple[list[str], list[str]]:
    name = "BOW_Dataset.arff" if split == "train" else "BOW_Test.arff"
    texts, labels = [], []
    in_data = False
    for line in (DATA / "marc-app-review-sentences" / name).read_text(encoding="utf-8", errors="replace").split("\n"):
        s = line.strip()
        if not in_data:
            in_data = s.lower().startswith("@data")
            continue
        if not s or "," not in s:
            continue
        txt, lab = s.rsplit(",", 1)
        txt = txt.strip()
        if txt.startswith("'") and txt.endswith("'"):
            txt = txt[1:-1]
        texts.append(txt.replace("\\'", "'"))
        labels.append(lab.strip())
    return texts, labels


# ---------------------------------------------------------------- embeddings cache
def cached_embed(name: str, texts: list[str], mode: str = "full") -> np.ndarray:
    from sounding.analysis import embed as E

    version = E.EMBED_MODEL_VERSION if mode == "full" else E.EMBED_FAST_MODEL_VERSION
    h = hashlib.sha1((version + "\x00" + "\x01".join(texts)).encode("utf-8")).hexdigest()[:12]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.{mode}.{h}.npy"
    if path.exists():
        return np.load(path)
    # reuse rows of other caches of the same dataset/mode/model version (sidecar .texts.json)
    import json

    known: dict[str, np.ndarray] = {}
    for other in CACHE.glob(f"{name}.{mode}.*.npy"):
        side = other.with_suffix(".texts.json")
        if side.exists():
            meta = json.loads(side.read_text(encoding="utf-8"))
            old = np.load(other)
            if meta.get("version") == version and len(meta.get("texts", [])) == len(old):
                known.update(zip(meta["texts"], old))
    missing = sorted({t for t in texts if t not in known})
    embed_fn = (lambda ts: E.embed(ts, batch_size=64)) if mode == "full" else E.embed_fast
    if mode not in ("full", "fast"):
        raise ValueError(mode)
    if missing:
        known.update(zip(missing, embed_fn(missing)))
    X = np.stack([known[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, 384 if mode == "full" else 64), np.float32)
    np.save(path, X)
    path.with_suffix(".texts.json").write_text(json.dumps({"version": version, "texts": texts}), encoding="utf-8")
    return X

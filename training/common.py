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


# ---------------------------------------------------------------- social and forum intent sets
# Each loader returns (texts, labels) with labels in our vocabulary or a set-specific binary one.
# Texts are deduplicated on their normalised form; a text seen with two different labels is dropped.
def _dedupe(pairs):
    from sounding.analysis.classify import normalize_text

    first: dict[str, str] = {}
    bad: set[str] = set()
    order: list[tuple[str, str]] = []
    for text, label in pairs:
        key = normalize_text(text).lower()
        if not key:
            continue
        if key in first:
            if first[key] != label:
                bad.add(key)
            continue
        first[key] = label
        order.append((key, text))
    keep = [(t, first[k]) for k, t in order if k not in bad]
    return [t for t, _ in keep], [lab for _, lab in keep]


TAC_MAP = {"QUE": "question", "SUG": "suggestion", "STM": "other", "THT": "other", "OTH": "other", "EXP": "other"}


def tac() -> tuple[list[str], list[str]]:
    """Tweet acts (BSD-2). REQ is dropped (half proposals, half requests for information: no one class)."""
    pairs = []
    with open(DATA / "tweet-acts-tac" / "TWEET_DATA.csv", encoding="utf-8", newline="") as fh:
        for text, lab in csv.reader(fh):
            if lab.strip() in TAC_MAP:
                pairs.append((html.unescape(_decode_u(text)), TAC_MAP[lab.strip()]))
    return _dedupe(pairs)


def complaints() -> tuple[list[str], list[str]]:
    """Complaints on Twitter (no licence: benchmark only): problem / not_problem."""
    pairs = []
    with open(DATA / "complaints-twitter-acl2019" / "complaints-data.csv", encoding="utf-8", newline="") as fh:
        for _id, text, lab, _domain in csv.reader(fh):
            pairs.append((html.unescape(text), "problem" if lab.strip() == "1" else "not_problem"))
    return _dedupe(pairs)


def semeval_suggestions(subtask: str) -> tuple[list[str], list[str]]:
    """SemEval-2019 Task 9 final test of subtask A or B (CC BY-NC-SA: benchmark only): suggestion / not_suggestion."""
    pairs = []
    path = DATA / "semeval2019-task9-suggestions" / f"Subtask{subtask}_EvaluationData_labeled.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) == 3 and row[2].strip() in ("0", "1"):
                pairs.append((row[1].strip().strip('"'), "suggestion" if row[2].strip() == "1" else "not_suggestion"))
    return _dedupe(pairs)


def youtube_tutorials() -> tuple[list[str], list[str]]:
    """YouTube coding-tutorial comments (no licence: benchmark only): actionable / not_actionable."""
    pairs = []
    with open(DATA / "youtube-tutorial-comments-icpc17" / "comments_labelled.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pairs.append((row["text"], "actionable" if row["label"] == "content_concern" else "not_actionable"))
    return _dedupe(pairs)


_FORUM_QUESTION = {"question on application", "requesting more information", "help seeking", "is-uncertain",
                   "help seeker", "is-background", "information seeking"}
_FORUM_PROBLEM = {"apparent bug", "unsatisfactory behaviour", "agreeing with the problem", "limitation confirmation",
                  "bug confirmation", "negative sentiment-application", "dispraise application",
                  "dispraise for application"}
_FORUM_SUGGESTION = {"feature request", "motivation fr", "agreeing with the request"}
_FORUM_DROP = {"remove", "continued from previous"}


def forum_sentences() -> tuple[list[str], list[str]]:
    """VLC + Firefox forum sentences (CC BY, treated as BY-SA), mapped as in the dataset README; praise -> other."""
    pairs = []
    with open(DATA / "software-forum-sentences-re2019" / "labelled_sentences.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            lab = " ".join(row["label"].lower().split())
            if lab in _FORUM_DROP or lab.startswith("and remove cookies"):
                continue
            if lab in _FORUM_QUESTION:
                ours = "question"
            elif lab in _FORUM_PROBLEM:
                ours = "problem"
            elif lab in _FORUM_SUGGESTION:
                ours = "suggestion"
            else:
                ours = "other"
            pairs.append((row["sentence"], ours))
    return _dedupe(pairs)


# Banking77 (CC BY 4.0) has no intent-act labels; its 77 topics are used as silver labels: in a topic that
# names a failure, a statement, or a question that reports the failure ("why was my card declined?"), is a
# problem; another query in question form is a question; the rest (requests in statement form) is dropped.
BANKING_PROBLEM_TOPICS = {
    "Refund_not_showing_up", "balance_not_updated_after_bank_transfer", "balance_not_updated_after_cheque_or_cash_deposit",
    "card_not_working", "card_payment_not_recognised", "card_payment_wrong_exchange_rate", "card_swallowed",
    "cash_withdrawal_not_recognised", "compromised_card", "contactless_not_working", "declined_card_payment",
    "declined_cash_withdrawal", "declined_transfer", "direct_debit_payment_not_recognised", "extra_charge_on_statement",
    "failed_transfer", "lost_or_stolen_card", "lost_or_stolen_phone", "pin_blocked", "top_up_failed", "top_up_reverted",
    "transaction_charged_twice", "transfer_not_received_by_recipient", "unable_to_verify_identity",
    "virtual_card_not_working", "wrong_amount_of_cash_received", "wrong_exchange_rate_for_cash_withdrawal",
    "card_arrival", "pending_transfer", "pending_card_payment", "pending_top_up", "pending_cash_withdrawal",
    "reverted_card_payment?", "beneficiary_not_allowed",
}
_QUESTION_FORM = re.compile(
    r"\?\s*$|^\W*(how|what|why|when|where|which|who|is|are|am|do|does|did|can|could|will|would|should|may|has|have"
    r"|was|were)\b", re.I)


_FAILURE = re.compile(
    r"\b(not|n't|never|still|declined|failed|fail|wrong|twice|blocked|stolen|lost|rejected|reverted|missing|stuck"
    r"|swallowed|compromised|unable|won't|didn't|hasn't|haven't|isn't|doesn't|can't|cannot)\b|n't\b", re.I)


def banking_silver(limit: int | None = 2500) -> tuple[list[str], list[str]]:
    """Banking77 train queries as question / problem silver labels (seeded sample of ``limit``; None: all)."""
    pairs = []
    with open(DATA / "banking77" / "train.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = row["text"].strip()
            failure = row["category"] in BANKING_PROBLEM_TOPICS
            if failure and (not _QUESTION_FORM.search(text) or _FAILURE.search(text)):
                pairs.append((text, "problem"))
            elif _QUESTION_FORM.search(text):
                pairs.append((text, "question"))
    texts, labels = _dedupe(pairs)
    if limit is None:
        return texts, labels
    rng = np.random.default_rng(SEED)
    idx = np.sort(rng.permutation(len(texts))[:limit])
    return [texts[i] for i in idx], [labels[i] for i in idx]


def urr_reviews() -> tuple[list[str], list[str]]:
    """URR golden set app reviews (MIT): a review with the manual label ERROR is a problem; one whose only
    manual label is OTHER and that has 4-5 stars (mostly praise) is other; the rest (mixed topics) is dropped."""
    pairs = []
    with open(DATA / "urr-app-reviews" / "golden_set.csv", encoding="latin-1", newline="") as fh:
        for row in csv.DictReader(fh):
            labs = {row[k].strip() for k in ("class1", "class2", "class3", "class4", "class5") if row[k].strip()}
            if "ERROR" in labs:
                pairs.append((row["reviewText"].strip(), "problem"))
            elif labs == {"OTHER"} and row["ratingStars"].strip() in ("4", "5"):
                pairs.append((row["reviewText"].strip(), "other"))
    return _dedupe(pairs)


def held_out(texts: list[str], share: float = 0.25) -> np.ndarray:
    """Boolean mask of the fixed test split: a text is held out by a hash of its normalised form
    (identical texts always fall on the same side). The shipped heads never train on it."""
    from sounding.analysis.classify import normalize_text

    out = np.zeros(len(texts), dtype=bool)
    for i, t in enumerate(texts):
        h = hashlib.sha1(("split\x00" + normalize_text(t).lower()).encode("utf-8")).digest()
        out[i] = int.from_bytes(h[:4], "big") / 2**32 < share
    return out

"""Per-comment classifiers: sentiment and intent (pure batch functions over columns).

    sentiment(texts, embeddings) -> (labels, scores)   labels in SENTIMENT_LABELS, scores (n, 3)
    intent(texts, embeddings)    -> (labels, scores)   labels in INTENT_LABELS,    scores (n, 5)
    language(texts)              -> ISO 639-1 codes     (re-exported from .language)

``embeddings`` are the vectors of the same texts from :mod:`sounding.analysis.embed`: either the
default MiniLM vectors (n, 384) from ``embed()`` or the fast-mode static vectors (n, 64) from
``embed_fast()``; the head trained for that embedding is picked by the vector width.

Each head is one multinomial logistic regression over
  * the (scaled) sentence embedding,
  * VADER 3.3.2 scores (neg, neu, pos, compound), punctuation counts and 11 hand-written intent
    cue patterns (question words, "please", "add", "would be", "crash", "doesn't work", ...),
  * hashed TF-IDF word 1-2-grams and char 2-5-grams (sklearn ``HashingVectorizer``, stateless;
    the idf vector and the weights are in ``weights/heads_<mode>.npz``).
Texts are normalised first (URLs dropped, @handles masked as ``@user``). The heads are trained by
``training/train_heads.py`` (seeded, reproducible); see ``docs/models.md`` for data and licences.

Intent is a 4-class head (question, suggestion, problem, other) trained on app-review, tweet, forum
and bank-query sets (training/train_heads.py INTENT_SETS), with a per-class log-prior shift and three
rules on top, all chosen on validation folds. ``praise`` has no labelled data: a comment the head
calls ``other`` whose sentiment head says positive (P(positive) > 0.5) is ``praise``. In the scores
the ``other`` probability is split accordingly: praise = P(other)·P(pos), other = P(other)·(1-P(pos)).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .language import language  # noqa: F401  (part of this module's API)

from sounding import text_patterns

CLASSIFIER_VERSION = "sounding-heads-v5"
SENTIMENT_LABELS = ("negative", "neutral", "positive")
INTENT_LABELS = ("question", "suggestion", "problem", "praise", "other")
INTENT_BASE_LABELS = ("question", "suggestion", "problem", "other")
#: P(positive) above which an ``other`` comment is called ``praise``.
PRAISE_THRESHOLD = 0.5

WEIGHTS_DIR = Path(__file__).parent / "weights"
N_HASH = 2**18  # per analyzer (word, char)

_HANDLE, _URL = text_patterns.MENTION, text_patterns.URL
_WS = re.compile(r"\s+")
_WORD_TOKENS = r"(?u)\b\w[\w']*\b|[!?]+|[:;]-?[()DPp/]"


def normalize_text(text: str) -> str:
    """Drop URLs, mask @handles as ``@user`` (TweetEval convention), collapse whitespace."""
    text = _URL.sub(" ", "" if text is None else str(text))
    text = _HANDLE.sub("@user", text)
    return _WS.sub(" ", text).strip()


# ----------------------------------------------------------------------------- features
_vec_lock = threading.Lock()
_vectorizers = None
_vader = None


def _get_vectorizers():
    global _vectorizers, _vader
    with _vec_lock:
        if _vectorizers is None:
            from sklearn.feature_extraction.text import HashingVectorizer
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            kw = dict(n_features=N_HASH, alternate_sign=False, norm=None, lowercase=True, dtype=np.float32)
            _vectorizers = (
                HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=_WORD_TOKENS, **kw),
                HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **kw),
            )
            _vader = SentimentIntensityAnalyzer()
        return _vectorizers, _vader


def lexical_counts(texts: Sequence[str]):
    """Raw hashed n-gram counts (sparse CSR, n × 2·N_HASH); idf and scaling are applied by the head."""
    import scipy.sparse as sp

    (hw, hc), _ = _get_vectorizers()
    return sp.hstack([hw.transform(texts), hc.transform(texts)], format="csr", dtype=np.float32)


#: Hand-written intent cues (question / request / problem / praise / experience), counted 0, 1, 2+.
_CUE_PATTERNS = [re.compile(p) for p in (
    r"\?",
    r"^\W*(how|what|why|when|where|which|who|whom|whose|is|are|am|do|does|did|can|could|will|would|should|may|has|have|was)\b",
    r"\b(anyone|anybody|someone|somebody) (know|knows|help|tell)|\bis there (a|any)\b|\bhow (do|can|to)\b"
    r"|\bwhy (is|does|do|did|can't|cant|won't)\b",
    r"\b(please|pls|plz|pleas)\b",
    r"\b(add|adding|added|include|bring back|put back|make it|let (me|us)|allow|enable|give (us|me)|option to|ability to"
    r"|able to)\b",
    r"\b(would|it'd|wud) (be|love|like)|\b(wish|hope|hoping|suggest\w*|feature|request)\b|\bi want\b|\bwe want\b"
    r"|\b(need|needs) (a|an|to|more|the|some)\b|\bshould\b|\bif only\b|\bwhy not\b|\binstead of\b"
    r"|\bmore (levels|options|features|characters|stuff)\b",
    r"\b(crash\w*|bug|bugs|buggy|error\w*|broke|broken|freez\w*|froze|glitch\w*|lag\w*|force clos\w*|damaged"
    r"|defective|faulty|leak\w*|ripped|torn|scratched|stopped)\b",
    r"\b(doesn'?t|does not|don'?t|do not|won'?t|will not|can'?t|cannot|couldn'?t|isn'?t|is not|not) (work|load|open|start"
    r"|play|let|show|sync|connect|download|respond)\w*|\bnot working\b|\bstopped working\b|\bunable to\b|\bno longer\b"
    r"|\bnothing happens\b|\bblack screen\b|\bnever (arrived|came|received|got|showed up|shipped)\b"
    r"|\b(didn'?t|did not|hasn'?t|has not|haven'?t|have not) (arrive|come|receive|get|ship)\w*|\bstill (waiting|no|not)\b"
    r"|\bno (response|reply|answer|refund)\b|\bwrong (item|size|order|colou?r|product|address)\b",
    r"\b(fix|fixed|fixing|problem\w*|issue\w*|fail\w*|slow|keeps?|every ?time|after (the|this|last|latest|new)? ?update"
    r"|since (the|this|last|latest|new)? ?update|lost|deleted|disappear\w*|annoying|uninstall\w*|refund\w*|overcharg\w*"
    r"|charged (me )?twice|scam|missing|late|delayed|cancel\w*|complain\w*)\b",
    r"\b(love|great|best|awesome|amazing|excellent|good|nice|fun|addictive|perfect|favorite|favourite|recommend|thank\w*"
    r"|5 stars?|five stars?)\b",
    r"\b(i|my|we) (use|have|had|play|played|bought|paid|downloaded|got)\b",
)]
#: cue columns of the v3 heads (the sentiment head still uses exactly these)
N_BASE_CUES = 7 + len(_CUE_PATTERNS)
#: v4 intent cues beyond app reviews: customer-service failures and questions with or without "?"
_SERVICE_PROBLEM = re.compile(
    r"\bon hold\b|\b(jam|jams|jammed|jamming|stuck|clogged|stranded|overbooked|bumped)\b|\bstill (waiting|haven'?t"
    r"|hasn'?t|no|not)\b|\b(been )?wait(ing|ed) (for|since|over|\d)|\b(no ?one|nobody) (answers|answered|helps|helped"
    r"|responds|responded|cares|called|got back)\b|\b\d+\s*(hours?|hrs?|minutes?|mins?|days?|weeks?)\b|\bagain\b"
    r"|\b(worst|terrible|horrible|awful|ridiculous|unacceptable|disappointed|disappointing|frustrat\w*|rude|useless"
    r"|pathetic|disgust\w*|furious|fed up)\b|\b(delay\w*|cancel+ed|lost|missing|damaged|charged|hung up)\b")
_CAN_YOU = re.compile(r"^\W*(?:@\S+\s+)*(?:hey\W+|hi\W+)?(can|could|will|would|do|did|does|are|is) (you|u|y'?all)\b")
#: v5 cues for reports to a brand that name no product failure word (Complaints-on-Twitter style): a negated
#: service verb, the customer's own order/flight/card..., "not ... yet" / repetition / how long it has been,
#: and "you never / you keep" or "your service is ...".
_NEGATED_SERVICE = re.compile(
    r"\b(won'?t|will not|doesn'?t|does not|didn'?t|did not|can'?t|cannot|couldn'?t|isn'?t|wasn'?t|aren'?t|weren'?t"
    r"|haven'?t|hasn'?t|never|not) (\w+ ){0,2}?(work\w*|print\w*|charg\w*|turn\w*|load\w*|open\w*|arriv\w*|come|came"
    r"|send|sent|deliver\w*|respond\w*|repl\w*|help\w*|fix\w*|accept\w*|show\w*|connect\w*|refund\w*|answer\w*"
    r"|pick\w* up|ship\w*|receiv\w*|get|got|gotten|sort\w*|resolv\w*|return\w*|call\w* back|get back|honou?r\w*)\b")
_OWN_THING = re.compile(
    r"\b(my|our) (\w+ ){0,2}?(order|package|parcel|delivery|flight|bag|bags|luggage|suitcase|account|card|phone|refund"
    r"|item|items|car|bill|internet|wifi|wi-fi|service|connection|tv|printer|laptop|laptop|device|booking|reservation"
    r"|ticket|tickets|payment|subscription|claim|complaint|case|ticket|money|food|meal|pizza|coffee|drink|seat|room"
    r"|driver|router|app|machine|tracking|parcel|shipment|replacement|points|miles|train|bus)\b")
_TIME_AGAIN = re.compile(
    r"\b(not|n'?t|no|never)\b[^.?!]{0,40}\byet\b|\b(multiple|several|many|countless|numerous) times\b|\b(twice|three times)"
    r"\b|\bfor (days|weeks|months|ages|hours|over an? \w+)\b|\bsince (yesterday|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|last \w+|this morning|\w+day)\b|\ball (day|week|morning|night)\b|\b(tried|trying) (\w+ ){0,2}?"
    r"(times|again|everything|calling|to call|to contact|to reach)\b|\b(still|yet again|once again|keeps?|kept)\b")
_YOU_FAIL = re.compile(
    r"\byou (guys |people |all )?(never|always|keep|still|just|have(n'?t)?|failed|lost|charged|cancel\w*|sent|ruined"
    r"|messed|screwed|broke|fleeced|overcharged|ignored)\b|\byour (\w+ ){0,2}?(service|staff|app|website|site|product"
    r"|customer service|support|team|company|store|driver|drivers|employees|agents?) (is|are|was|were|has|have|sucks?|keeps?"
    r"|won'?t|doesn'?t|didn'?t|can'?t)\b|\b(sucks?|shady|joke|rip ?off|unreal|ugh+|smh|wtf|seriously)\b")
_V5_CUES = (_NEGATED_SERVICE, _OWN_THING, _TIME_AGAIN, _YOU_FAIL)
N_V4_CUES = N_BASE_CUES + 5
N_CUES = N_V4_CUES + len(_V5_CUES)


def dense_cues(texts: Sequence[str]) -> np.ndarray:
    """VADER neg/neu/pos/compound, punctuation cues and the intent cue patterns, (n, N_CUES) float32.

    The first N_BASE_CUES columns are the v3 cues; the last five (question form, genuine question,
    rhetorical question, "can you ..." opener, service-failure words) come from the inbox's rules.
    """
    from .inbox import question_kind

    _, vader = _get_vectorizers()
    out = np.zeros((len(texts), N_CUES), dtype=np.float32)
    for i, t in enumerate(texts):
        d = vader.polarity_scores(t)
        out[i, 0:4] = (d["neg"], d["neu"], d["pos"], d["compound"])
        out[i, 4] = min(t.count("?"), 3) / 3.0
        out[i, 5] = min(t.count("!"), 3) / 3.0
        out[i, 6] = 1.0 if t.rstrip().endswith("?") else 0.0
        tl = t.lower()
        for j, pat in enumerate(_CUE_PATTERNS):
            out[i, 7 + j] = min(sum(1 for _ in pat.finditer(tl)), 2) / 2.0
        kind = question_kind(t)
        k = N_BASE_CUES
        out[i, k] = 0.0 if kind == "none" else 1.0
        out[i, k + 1] = 1.0 if kind == "genuine" else 0.0
        out[i, k + 2] = 1.0 if kind == "rhetorical" else 0.0
        out[i, k + 3] = 1.0 if _CAN_YOU.match(tl) else 0.0
        out[i, k + 4] = min(sum(1 for _ in _SERVICE_PROBLEM.finditer(tl)), 2) / 2.0
        for j, pat in enumerate(_V5_CUES):
            out[i, N_V4_CUES + j] = min(sum(1 for _ in pat.finditer(tl)), 2) / 2.0
    return out


def assemble_features(counts, cues: np.ndarray, embeddings: np.ndarray, idf: np.ndarray, emb_scale: float, cue_scale: float,
                      n_cues: int = N_CUES):
    """[tf-idf n-grams (sublinear tf, L2-normalised) | embedding·emb_scale | cues[:, :n_cues]·cue_scale] as CSR."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    cues = cues[:, :n_cues]

    counts = counts.copy()
    counts.data = np.log1p(counts.data)  # sublinear tf
    tfidf = normalize(counts.multiply(idf[None, :]).tocsr(), norm="l2", copy=False)
    dense = np.hstack([np.asarray(embeddings, dtype=np.float32) * emb_scale, cues * cue_scale])
    return sp.hstack([tfidf, sp.csr_matrix(dense)], format="csr", dtype=np.float32)


# ----------------------------------------------------------------------------- heads
class _Head:
    def __init__(self, data: dict, prefix: str):
        self.labels = [str(x) for x in data[f"{prefix}_labels"]]
        self.idf = data[f"{prefix}_idf"].astype(np.float32)
        self.cols = data[f"{prefix}_cols"].astype(np.int64)  # active feature columns
        self.coef = data[f"{prefix}_coef"].astype(np.float32)  # (k, len(cols))
        self.intercept = data[f"{prefix}_intercept"].astype(np.float32)
        self.emb_scale = float(data[f"{prefix}_emb_scale"])
        self.cue_scale = float(data[f"{prefix}_cue_scale"])
        self.n_cues = int(data.get(f"{prefix}_n_cues", N_BASE_CUES))
        # per-class log-prior shift chosen on validation folds (training/train_heads.py INTENT_BIAS); 0 if absent
        self.bias = data.get(f"{prefix}_bias", np.zeros(len(self.labels))).astype(np.float32)

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        counts, cues = _shared_inputs(texts)
        X = assemble_features(counts, cues, embeddings, self.idf, self.emb_scale, self.cue_scale, self.n_cues)
        z = np.asarray(X[:, self.cols] @ self.coef.T) + self.intercept + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


_inputs_lock = threading.Lock()
_last_inputs: tuple | None = None


def _shared_inputs(texts: Sequence[str]):
    """Hashed counts and cues of normalised texts; the last batch is memoised so that sentiment()
    followed by intent() on the same texts computes the lexical features once."""
    global _last_inputs
    key = tuple(texts)
    with _inputs_lock:
        if _last_inputs is not None and _last_inputs[0] == key:
            return _last_inputs[1], _last_inputs[2]
    counts, cues = lexical_counts(key), dense_cues(key)
    with _inputs_lock:
        _last_inputs = (key, counts, cues)
    return counts, cues


def clear_cache() -> None:
    """Forget the memoised features of the last batch (benchmarks call this between runs)."""
    global _last_inputs
    with _inputs_lock:
        _last_inputs = None


_heads_lock = threading.Lock()
_heads: dict[str, dict[str, _Head]] = {}
_MODES = {384: "full", 64: "fast"}


def _mode_for(embeddings: np.ndarray) -> str:
    dim = int(np.asarray(embeddings).shape[1])
    if dim not in _MODES:
        raise ValueError(f"no classifier head for {dim}-d embeddings (expected 384 or 64)")
    return _MODES[dim]


def load_heads(mode: str = "full") -> dict[str, _Head]:
    """Load (once) the sentiment and intent heads of an embedding mode from weights/heads_<mode>.npz."""
    with _heads_lock:
        if mode not in _heads:
            with np.load(WEIGHTS_DIR / f"heads_{mode}.npz", allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
                _heads[mode] = {"sentiment": _Head(data, "sentiment"), "intent": _Head(data, "intent")}
        return _heads[mode]


def _prep(texts: Sequence[str], embeddings) -> tuple[list[str], np.ndarray]:
    texts = [normalize_text(t) for t in texts]
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(texts):
        raise ValueError(f"embeddings shape {emb.shape} does not match {len(texts)} texts")
    return texts, emb


def sentiment(texts: Sequence[str], embeddings) -> tuple[list[str], np.ndarray]:
    """Sentiment per text: labels in (negative, neutral, positive); scores (n, 3) probabilities in that order."""
    texts, emb = _prep(texts, embeddings)
    if not texts:
        return [], np.zeros((0, 3), dtype=np.float32)
    head = load_heads(_mode_for(emb))["sentiment"]
    p = head.predict_proba(texts, emb)
    p = p[:, [head.labels.index(l) for l in SENTIMENT_LABELS]]
    return [SENTIMENT_LABELS[i] for i in p.argmax(axis=1)], p


def intent_base(texts: Sequence[str], embeddings) -> np.ndarray:
    """4-class intent probabilities (n, 4) in INTENT_BASE_LABELS order (ARdoc classes, no praise)."""
    texts, emb = _prep(texts, embeddings)
    if not texts:
        return np.zeros((0, 4), dtype=np.float32)
    head = load_heads(_mode_for(emb))["intent"]
    p = head.predict_proba(texts, emb)
    return p[:, [head.labels.index(l) for l in INTENT_BASE_LABELS]]


def intent(texts: Sequence[str], embeddings, sentiment_scores: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Intent per text: labels in (question, suggestion, problem, praise, other); scores (n, 5) in that order.

    ``sentiment_scores`` (from :func:`sentiment`) may be passed to avoid computing sentiment twice.
    """
    base = intent_base(texts, embeddings)
    n = base.shape[0]
    if n == 0:
        return [], np.zeros((0, 5), dtype=np.float32)
    if sentiment_scores is None:
        sentiment_scores = sentiment(texts, embeddings)[1]
    sent = np.asarray(sentiment_scores, dtype=np.float32)
    p_pos = sent[:, 2]
    q, s, pr, o = base[:, 0], base[:, 1], base[:, 2], base[:, 3]
    scores = np.stack([q, s, pr, o * p_pos, o * (1.0 - p_pos)], axis=1).astype(np.float32)
    _, cues = _shared_inputs([normalize_text(t) for t in texts])
    labels = []
    for i, k in enumerate(base.argmax(axis=1)):
        label = _override(INTENT_BASE_LABELS[k], cues[i], sent[i])
        if label != "other":
            labels.append(label)
        else:
            labels.append("praise" if p_pos[i] > PRAISE_THRESHOLD else "other")
    return labels, scores


#: Rules on top of the head; thresholds chosen on validation folds of the training sets (training/experiments/
#: intent_tune.py, docs/models.md), never on a test split.
#: a question that is rhetorical or names a failure with P(negative) above this is a problem report;
NEGATIVE_QUESTION_PROBLEM = 0.5
#: an ``other`` text with P(negative) above this is a problem report;
NEGATIVE_OTHER_PROBLEM = 0.7
#: an ``other`` text that names a failure with P(negative) above this is a problem report.
FAILURE_OTHER_PROBLEM = 0.3
_C = 7  # first cue pattern column
_RHETORICAL, _SERVICE = N_BASE_CUES + 2, N_BASE_CUES + 4
_FAILURE_COLS = [_C + 6, _C + 7, _SERVICE]  # product-failure words, service-failure words


def _override(label: str, cue: np.ndarray, sent: np.ndarray) -> str:
    """The head's label, corrected where the question rules and the sentiment head disagree with it."""
    p_neg = float(sent[0])
    failure = bool(np.any(cue[_FAILURE_COLS] > 0))
    if label == "question" and (cue[_RHETORICAL] > 0 or failure) and p_neg > NEGATIVE_QUESTION_PROBLEM:
        return "problem"  # "Why is it delayed AGAIN??", "been on hold 40 minutes, is anyone there?"
    if label == "other" and (p_neg > NEGATIVE_OTHER_PROBLEM or (failure and p_neg > FAILURE_OTHER_PROBLEM)
                             or cue[_SERVICE] >= 1.0):
        return "problem"  # "on hold 23 minutes", "still waiting for my refund", "pods jammed again" (2+ failure words)
    if label == "suggestion" and failure and not (cue[_C + 4] > 0 or cue[_C + 5] > 0):
        return "problem"  # "pods jammed again": names a failure, asks for nothing
    return label

"""Theme labels: class-based TF-IDF (c-TF-IDF) top words and a short readable name.

All texts of one theme are one "class document". A term's score in a class is its frequency in
that class (l1-normalised per class) times ``log(1 + A / f)``, where ``A`` is the average number
of terms per class and ``f`` the term's frequency over all classes (BERTopic's c-TF-IDF). Terms
are unigrams and bigrams after English stop words; a term whose words are all covered by
higher-ranked terms is skipped (no "dark" after "dark mode").

A labeller is any callable ``(class_docs: list[list[str]]) -> list[list[str]]`` (top terms per
class, best first); a namer is any callable ``(top_words) -> str``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of 2+ letters, no digits / underscores

#: Contractions and fillers missing from scikit-learn's English list ("did", "don" of "don't", ...).
EXTRA_STOP_WORDS = frozenset(
    [
        "did",
        "does",
        "doing",
        "don",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "aren",
        "weren",
        "ve",
        "ll",
        "im",
        "dont",
        "cant",
        "won",
        "wouldn",
        "couldn",
        "shouldn",
        "hasn",
        "haven",
        "hadn",
        "ain",
        "needn",
        "mustn",
        "mightn",
        "just",
        "really",
        "yes",
        "ok",
        "okay",
        "hey",
        "hi",
        "hello",
        "lol",
    ]
)


def stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS)


@dataclass
class CTfidfLabeller:
    n_words: int = 10
    ngram_range: tuple[int, int] = (1, 2)
    #: ``None`` = scikit-learn's English list + :data:`EXTRA_STOP_WORDS`; ``[]`` = none.
    stop_words: list[str] | None = None

    def __call__(self, class_docs: list[list[str]]) -> list[list[str]]:
        from sklearn.feature_extraction.text import CountVectorizer

        docs = [" \n ".join(texts) for texts in class_docs]
        if not docs:
            return []
        stops = frozenset(stop_words() if self.stop_words is None else self.stop_words)
        vec = CountVectorizer(analyzer=lambda doc: phrases(doc, stops, self.ngram_range))
        try:
            counts = vec.fit_transform(docs).astype(np.float64).tocsr()
        except ValueError:  # empty vocabulary (only stop words / numbers)
            return [[] for _ in docs]
        terms = vec.get_feature_names_out()
        total = np.asarray(counts.sum(axis=0)).ravel()
        per_class = np.asarray(counts.sum(axis=1)).ravel()
        avg = max(per_class.mean(), 1e-12)
        idf = np.log1p(avg / np.maximum(total, 1e-12))
        out: list[list[str]] = []
        for c in range(counts.shape[0]):
            row = counts.getrow(c)
            if row.nnz == 0:
                out.append([])
                continue
            tf = row.data / max(per_class[c], 1e-12)
            score = tf * idf[row.indices]
            # best score first; ties by raw count then alphabetically (deterministic)
            order = np.lexsort((terms[row.indices], -row.data, -score))
            out.append(_dedupe([str(terms[row.indices[i]]) for i in order], self.n_words))
        return out


_TOKEN = re.compile(TOKEN_PATTERN)


def phrases(doc: str, stops: frozenset[str], ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Contiguous n-grams with no stop word inside ("lost luggage", not "gate minutes" of "gate for 40 minutes").

    A class document joins texts with a newline; n-grams do not cross it.
    """
    lo, hi = ngram_range
    out: list[str] = []
    for text in doc.split("\n"):
        words = [w for w in _TOKEN.findall(text.lower())]
        for n in range(lo, hi + 1):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if not stops.intersection(gram):
                    out.append(" ".join(gram))
    return out


def topic_names(
    top_words: list[list[str]],
    class_docs: list[list[str]],
    centroids: list[np.ndarray],
    embedder,
    coverage_weight: float = 1.0,
    candidates: int = 5,
) -> list[str]:
    """One phrase per theme: the candidate term nearest the centroid, helped by how many members say it.

    KeyBERT-like: candidates are the theme's top ``candidates`` c-TF-IDF terms and the phrases among
    its top ten, embedded with the same
    model as the comments; score = cos(term, centroid) + ``coverage_weight`` x (share of members
    containing it), so a phrase many members say and that sits near the centroid wins.
    """
    # the top unigrams, and any phrase of the top ten ("compostable pods" ranked 7th of a theme)
    top_words = [[t for i, t in enumerate(terms[:10]) if i < candidates or " " in t] for terms in top_words]
    flat = sorted({t for terms in top_words for t in terms})
    if not flat:
        return ["(no words)" for _ in top_words]
    E = np.asarray(embedder(flat), dtype=np.float32)
    E = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    row = {t: i for i, t in enumerate(flat)}
    names = []
    for terms, docs, c in zip(top_words, class_docs, centroids, strict=True):
        if not terms:
            names.append("(no words)")
            continue
        lowered = [" ".join(_TOKEN.findall(d.lower())) for d in docs] or [""]
        c = np.asarray(c, dtype=np.float32)
        c = c / max(float(np.linalg.norm(c)), 1e-12)

        def score(term: str) -> float:
            pattern = re.compile(rf"\b{re.escape(term)}\b")
            cover = sum(1 for d in lowered if pattern.search(d)) / len(lowered)
            return float(E[row[term]] @ c) + coverage_weight * cover

        names.append(max(terms, key=lambda t: (score(t), -terms.index(t))))
    return names


def _dedupe(ranked: list[str], n: int) -> list[str]:
    picked: list[str] = []
    for term in ranked:  # a term inside a picked one adds nothing ("dark" after "dark mode")
        if any(f" {term} " in f" {p} " for p in picked):
            continue
        picked.append(term)
        if len(picked) >= n:
            break
    return picked


def short_name(top_words: list[str], max_words: int = 3) -> str:
    """E.g. ``["dark", "dark mode", "night"]`` -> ``"dark mode / night"`` (top terms, ``max_words`` words).

    A bigram among the top 3 terms that contains the top word leads the name.
    """
    parts: list[str] = []
    count = 0
    terms = list(top_words)
    if terms:
        lead = next((t for t in terms[1:3] if len(t.split()) > 1 and terms[0] in t.split()), None)
        if lead is not None:
            terms = [lead] + [t for t in terms if t != lead and not set(t.split()) <= set(lead.split())]
    for term in terms:
        n = len(term.split())
        if parts and count + n > max_words:
            break
        parts.append(term)
        count += n
        if count >= max_words:
            break
    return " / ".join(parts) if parts else "(no words)"

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
        vec = CountVectorizer(
            ngram_range=self.ngram_range,
            stop_words=stop_words() if self.stop_words is None else (self.stop_words or None),
            token_pattern=TOKEN_PATTERN,
            lowercase=True,
        )
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


def _dedupe(ranked: list[str], n: int) -> list[str]:
    picked: list[str] = []
    covered: set[str] = set()
    for term in ranked:
        words = term.split()
        if covered.issuperset(words):
            continue
        picked.append(term)
        covered.update(words)
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

"""Is a theme a topic someone can act on? Its distinctive words, measured against the whole audience.

Clustering finds groups; not every group is a lesson. "Thank you!" replies, "worst airline ever"
venting and a catch-all of loosely related flight talk recur, but a community manager can do
nothing with "331 people talk about thanks". A theme is a *topic* when its members share words
that are rare elsewhere:

* for every unigram and bigram (no stop words, no @handles or links) ``share`` = members containing
  it and ``lift`` = share / (share of the other audience texts containing it);
* tone and courtesy words do not name a topic ("worst", "thanks", "love", "please": any word of
  VADER's lexicon with |valence| >= 1, so no hand list of feelings), and nor do names, words the
  members capitalise mid-sentence ("Delta", "Atlanta": they say where or who, not what);
* ``strength`` = max over the remaining terms of ``share x ln(lift)``: a word most members say and
  few others do. A theme below :data:`MIN_STRENGTH` is a lesson only when people say one thing in
  different words: members far more alike than the audience at large (relative cohesion >= 0.3)
  and mostly reporting, asking or suggesting; and never when its distinctive words are tone.
  Others stay themes, not lessons (:func:`is_topic`).

On the demo's 30 top themes by score, the topics (bags 1.7, seats 1.8, gate 3.1, flight attendants
0.53, prices 0.51) are above 0.5 and the non-topics (thanks 0.14, "worst airline" 0.35, "Delta" 0.35
once the name is left out, the airline catch-all 0.06) at or below 0.35; the catch-all's relative
cohesion is 0.36, but only a quarter of its members report or ask anything.

The best-scoring term (a bigram when most members who say its first word say the bigram) is the
lesson's label, so the headline names the topic ("customer service", not "customer").
Relative frequencies make the rule size-free: 60 comments or 60,000.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sqlalchemy import func, select

from sounding import text_patterns
from sounding.analysis.audience import audience
from sounding.analysis.reader import decode_embeddings
from sounding.analysis.themes_label import phrases, stop_words
from sounding.store import Store
from sounding.store.models import Enrichment

#: A theme whose best topic term scores below this is a lesson only by :func:`is_topic`'s second rule.
MIN_STRENGTH = 0.4
#: ... members this much more alike than the audience at large, and this share of them reporting,
#: asking or suggesting (three late deliveries, each worded differently: 0.33 and 80 %).
MIN_COHESION, MIN_SUBSTANTIVE = 0.3, 0.5
SUBSTANTIVE = ("problem", "question", "suggestion")
#: Member texts read per theme, and audience texts read for the corpus (hash order: a fixed random sample).
PER_THEME, CORPUS = 400, 20_000
#: A term needs this many members saying it to name a topic.
MIN_MEMBERS = 2
_SIZE = "\x00size"  # the theme's text count inside its per-theme term counter (no term has a NUL)
#: VADER valence at or above which a word is tone, not topic.
TONE = 1.0


@dataclass(frozen=True)
class Topic:
    label: str | None
    #: share x ln(lift) of the best topic term (tone words left out).
    strength: float
    #: The same over all terms, tone words included ("thank": 0.49 on the demo's thanks).
    strength_all: float = 0.0
    #: Members' mean pairwise cosine, relative to the audience's: (c - c0) / (1 - c0); None when the
    #: store holds no embeddings for them (then only the intents decide).
    cohesion: float | None = None


@lru_cache(maxsize=1)
def tone_words() -> frozenset[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lexicon = SentimentIntensityAnalyzer().lexicon
    return frozenset(w for w, v in lexicon.items() if abs(float(v)) >= TONE)


def terms(text: str) -> set[str]:
    """The distinct unigrams and bigrams of one text (stop words, handles and links left out)."""
    cleaned = " ".join(text_patterns.MENTION_OR_URL.sub(" ", text or "").split())
    return set(phrases(cleaned, _stops()))


@lru_cache(maxsize=1)
def _stops() -> frozenset[str]:
    return frozenset(stop_words())


def topics(members: dict[int, list[str]], corpus: list[str], names: dict[int, str] | None = None,
           cohesion: dict[int, float] | None = None, corpus_themes: list[int | None] | None = None
           ) -> dict[int, Topic]:
    """Per theme id: its best topic term and strength, against ``corpus`` (a sample of all audience texts).

    ``names``: the themes' own names; one is kept as the label when it is a topic term scoring at least
    half the best (names are picked nearest the centroid, so "prices" stays rather than "economy").
    ``cohesion``: per theme, relative cohesion (see :class:`Topic`), passed through.
    ``corpus_themes``: per corpus text its theme id; lift is then measured against the texts *outside*
    the theme, so a topic most of a small audience talks about still stands out.
    """
    names, cohesion = names or {}, cohesion or {}
    corpus_terms = [terms(text) for text in corpus]
    df = Counter(t for ts in corpus_terms for t in ts)
    inside: dict[int, Counter] = {}
    for ts, theme in zip(corpus_terms, corpus_themes or [None] * len(corpus), strict=True):
        if theme is not None:
            inside.setdefault(int(theme), Counter()).update(ts)
            inside[int(theme)][_SIZE] += 1
    tone = tone_words()
    out = {}
    for theme_id, texts in members.items():
        size = max(len(texts), 1)
        cover = Counter(t for text in texts for t in terms(text))
        own = inside.get(theme_id, Counter())
        n = max(len(corpus) - own[_SIZE], 1)
        scored, scored_all = {}, {}
        for term, k in cover.items():
            if k < MIN_MEMBERS:
                continue
            share = k / size
            lift = share / max((df.get(term, 0) - own.get(term, 0)) / n, 1 / n)
            if lift > 1:
                scored_all[term] = share * math.log(lift)
                if not any(w in tone for w in term.split()):
                    scored[term] = scored_all[term]
        names_here = {w for t in scored for w in t.split()} & _name_words(texts)
        for term in [t for t in scored if names_here.intersection(t.split())]:
            del scored[term]  # "Delta", "Atlanta", "BA flight": says where or who, not what
        strength_all = round(max(scored_all.values(), default=0.0), 3)
        if not scored:
            out[theme_id] = Topic(names.get(theme_id), 0.0, strength_all, cohesion.get(theme_id))
            continue
        best = max(scored, key=lambda t: (scored[t], t))
        name = (names.get(theme_id) or "").lower()
        keep = scored.get(name, 0.0) >= 0.5 * scored[best] or (" " in name and best in name.split())
        label = name if keep else best  # the name "dark mode" holds the best word "dark": keep it
        if " " not in label:  # "customer" -> "customer service" when most who say one say the other
            pairs = [t for t in scored if " " in t and label in t.split() and cover[t] >= 0.5 * cover[label]]
            if pairs:
                label = max(pairs, key=lambda t: (cover[t], t))
        out[theme_id] = Topic(label, round(scored[best], 3), strength_all, cohesion.get(theme_id))
    return out


_WORD = re.compile(r"[^\W\d_][^\W\d_]+")
#: A word written with a capital this often, away from the start of a text, is a name (demo: "Delta"
#: 0.79, "LAX" 0.93; "wifi" 0.62 and "customer" 0.12 are not).
NAME_SHARE = 0.75


def _name_words(texts: list[str]) -> set[str]:
    """The words members write as names: capitalised mid-text ("Delta", "LAX") in at least
    ``NAME_SHARE`` of their uses. One pass over the texts (asking word by word was quadratic: minutes
    per analysis on a large store)."""
    total: Counter = Counter()
    capital: Counter = Counter()
    for text in texts:
        body = text_patterns.MENTION_OR_URL.sub(" ", text or "")
        for i, match in enumerate(_WORD.finditer(body)):
            if i == 0:
                continue
            w = match.group(0)
            word = w.lower()
            total[word] += 1
            capital[word] += w[0].isupper()
    return {w for w, n in total.items() if n >= MIN_MEMBERS and capital[w] >= NAME_SHARE * n}


def is_topic(topic: Topic, intents: dict[str, int]) -> bool:
    """A lesson's theme: a topic word most members say and others rarely do, or, when people word it
    differently, members much closer to each other than the audience is and mostly reporting, asking
    or suggesting. Never a theme whose distinctive words are feelings and courtesy ("thanks")."""
    if topic.strength >= MIN_STRENGTH:
        return True
    if topic.strength < 0.5 * topic.strength_all:  # its words are tone: thanks, venting
        return False
    substantive = sum(intents.get(i, 0) for i in SUBSTANTIVE) / max(sum(intents.values()), 1)
    cohesive = topic.cohesion is None or topic.cohesion >= MIN_COHESION
    return cohesive and substantive >= MIN_SUBSTANTIVE


def relative_cohesion(vectors: dict[int, np.ndarray], corpus: np.ndarray) -> dict[int, float]:
    """Per theme: (mean pairwise cosine of members - the audience's) / (1 - the audience's)."""
    def pairwise(X: np.ndarray) -> float:
        if len(X) < 2:
            return 0.0
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        total = X.sum(axis=0)
        return float((total @ total - len(X)) / (len(X) * (len(X) - 1)))

    base = pairwise(corpus) if len(corpus) > 1 else 0.0
    return {t: round((pairwise(X) - base) / max(1.0 - base, 1e-6), 3) for t, X in vectors.items()}


def theme_topics(store: Store, version: str, theme_ids: list[int], names: dict[int, str] | None = None
                 ) -> dict[int, Topic]:
    """:func:`topics` for ``theme_ids``, from at most :data:`PER_THEME` member texts each."""
    if not theme_ids:
        return {}
    a = audience(version, ("text", "text_hash"))
    ranked = select(a.c.theme_id, a.c.text, a.c.text_hash,
                    func.row_number().over(partition_by=a.c.theme_id, order_by=a.c.text_hash).label("r")
                    ).where(a.c.theme_id.in_(theme_ids)).subquery()
    vector = (select(Enrichment.embedding).where(Enrichment.text_hash == ranked.c.text_hash,
                                                 Enrichment.model_version == version).scalar_subquery())
    with store.engine.connect() as conn:
        rows = conn.execute(select(ranked.c.theme_id, ranked.c.text, vector).where(ranked.c.r <= PER_THEME)).all()
        sample = (select(Enrichment.embedding).where(Enrichment.model_version == version)
                  .order_by(Enrichment.text_hash).limit(CORPUS))
        corpus_vectors = [b for b in conn.execute(sample).scalars() if b]
        corpus_rows = conn.execute(select(a.c.text, a.c.theme_id).order_by(a.c.text_hash).limit(CORPUS)).all()
    members: dict[int, list[str]] = {t: [] for t in theme_ids}
    blobs: dict[int, list[bytes]] = {t: [] for t in theme_ids}
    for theme_id, text, blob in rows:
        members[int(theme_id)].append(text or "")
        if blob:
            blobs[int(theme_id)].append(blob)
    vectors = {t: decode_embeddings(b) for t, b in blobs.items() if b}
    cohesion = relative_cohesion(vectors, decode_embeddings(corpus_vectors)) if corpus_vectors else {}
    return topics(members, [t or "" for t, _ in corpus_rows], names, cohesion, [th for _, th in corpus_rows])

"""Is a theme a topic someone can act on? Its distinctive words, measured against the whole audience.

Clustering finds groups; not every group is a lesson. "Thank you!" replies, "worst airline ever"
venting and a catch-all of loosely related flight talk recur, but a community manager can do
nothing with "331 people talk about thanks". A theme is a *topic* when its members share words
that are rare elsewhere:

* for every unigram and bigram (no stop words, no @handles or links) ``share`` = members containing
  it and ``lift`` = share / (share of all audience texts containing it);
* tone and courtesy words do not name a topic ("worst", "thanks", "love", "please": any word of
  VADER's lexicon with |valence| >= 1, so no hand list of feelings);
* ``strength`` = max over the remaining terms of ``share x ln(lift)``: a word most members say and
  few others do. A theme below :data:`MIN_STRENGTH` is no lesson (it stays a theme).

On the demo's 30 top themes by score, the topics (bags 1.1, seats 1.5, gate 2.7, customer service
0.54, flight attendants 0.48) are above 0.4 and the non-topics (thanks 0.15, generic praise 0.10,
"worst airline" 0.25, the flight and airline catch-alls 0.29 and 0.03) below 0.35.

The best-scoring term (a bigram when most members who say its first word say the bigram) is the
lesson's label, so the headline names the topic ("customer service", not "customer").
Relative frequencies make the rule size-free: 60 comments or 60,000.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select

from sounding import text_patterns
from sounding.analysis.audience import audience
from sounding.analysis.themes_label import phrases, stop_words
from sounding.store import Store

#: A theme whose best topic term scores below this is no lesson (see the module docstring).
MIN_STRENGTH = 0.35
#: Member texts read per theme, and audience texts read for the corpus (hash order: a fixed random sample).
PER_THEME, CORPUS = 400, 20_000
#: A term needs this many members saying it to name a topic.
MIN_MEMBERS = 2
#: VADER valence at or above which a word is tone, not topic.
TONE = 1.0


@dataclass(frozen=True)
class Topic:
    label: str | None
    strength: float


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


def topics(members: dict[int, list[str]], corpus: list[str], names: dict[int, str] | None = None) -> dict[int, Topic]:
    """Per theme id: its best topic term and strength, against ``corpus`` (a sample of all audience texts).

    ``names``: the themes' own names; one is kept as the label when it is a topic term scoring at least
    half the best (names are picked nearest the centroid, so "prices" stays rather than "economy").
    """
    names = names or {}
    n = max(len(corpus), 1)
    df = Counter(t for text in corpus for t in terms(text))
    tone = tone_words()
    out = {}
    for theme_id, texts in members.items():
        size = max(len(texts), 1)
        cover = Counter(t for text in texts for t in terms(text))
        scored = {}
        for term, k in cover.items():
            if k < MIN_MEMBERS or any(w in tone for w in term.split()):
                continue
            share = k / size
            lift = share / max(df.get(term, 0) / n, 1 / n)
            if lift > 1:
                scored[term] = share * math.log(lift)
        if not scored:
            out[theme_id] = Topic(None, 0.0)
            continue
        best = max(scored, key=lambda t: (scored[t], t))
        name = (names.get(theme_id) or "").lower()
        label = name if scored.get(name, 0.0) >= 0.5 * scored[best] else best
        if " " not in label:  # "customer" -> "customer service" when most who say one say the other
            pairs = [t for t in scored if " " in t and label in t.split() and cover[t] >= 0.5 * cover[label]]
            if pairs:
                label = max(pairs, key=lambda t: (cover[t], t))
        out[theme_id] = Topic(label, round(scored[best], 3))
    return out


def theme_topics(store: Store, version: str, theme_ids: list[int], names: dict[int, str] | None = None
                 ) -> dict[int, Topic]:
    """:func:`topics` for ``theme_ids``, from at most :data:`PER_THEME` member texts each."""
    if not theme_ids:
        return {}
    a = audience(version, ("text", "text_hash"))
    ranked = select(a.c.theme_id, a.c.text,
                    func.row_number().over(partition_by=a.c.theme_id, order_by=a.c.text_hash).label("r")
                    ).where(a.c.theme_id.in_(theme_ids)).subquery()
    with store.engine.connect() as conn:
        rows = conn.execute(select(ranked.c.theme_id, ranked.c.text).where(ranked.c.r <= PER_THEME)).all()
        corpus = conn.execute(select(a.c.text).order_by(a.c.text_hash).limit(CORPUS)).scalars().all()
    members: dict[int, list[str]] = {t: [] for t in theme_ids}
    for theme_id, text in rows:
        members[int(theme_id)].append(text or "")
    return topics(members, [t or "" for t in corpus], names)

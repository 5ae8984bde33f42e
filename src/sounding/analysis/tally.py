"""Count the votes on any post: find the options in its text, read each reply, one vote per person.

A post that asks "dark mode, widgets or offline sync?" (or "1, 2 or 3?", "option 1: … option 2: …",
a lettered or emoji list) gets replies that vote. :func:`find_options` reads the options from the
text; :func:`tally` maps every audience reply in the posts' threads (any depth, never ours, never
the post's own author) to an option with the mapping `sounding ask results` uses
(:mod:`sounding.experiments.reply_mapping` through :func:`sounding.experiments.answers.map_replies`)
and pools them with :func:`sounding.experiments.answers.pool_answers`:

* **one vote per person, the latest wins**: a person is a pseudonym on one platform; their latest
  reply that names an option is their vote (changing your mind counts, a later remark that names
  no option does not cancel it). The same question cross-posted to several platforms is tallied
  over all its posts at once (``tally(store, [post, post, …])``);
* a native poll's latest snapshot on such a post is added as anonymous votes (as ``ask results``);
* an option marked with an emoji ("🔥 for dark mode") also takes replies that are that emoji, and
  options that are numbers ("3, 5 or 7 days?") take replies that name the number itself.

Counts go through :func:`sounding.experiments.polls.poll_results`: Dirichlet shares with 95 %
credible intervals and P(most preferred).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from sounding.errors import UsageError
from sounding.experiments.answers import (
    REPLY_COUNTED_POLLS,
    Embedder,
    QuestionResults,
    Reply,
    align_votes,
    map_replies,
    pool_answers,
)
from sounding.experiments.polls import poll_results
from sounding.experiments.reply_mapping import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Match, clean_reply, normalize
from sounding.store import Store
from sounding.store.models import Comment, Poll, PollSnapshot, Post

MAX_OPTIONS = 12
MAX_WORDS = 8

_EMOJI = (r"(?:[0-9#*]\ufe0f?\u20e3|[\U0001F1E6-\U0001F1FF]{1,2}"
          r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u3297\u3299][\ufe0f\u200d\U0001F3FB-\U0001F3FF"
          r"\U0001F000-\U0001FAFF\u2600-\u27BF]*)")
_LINE_MARKER = re.compile(
    rf"^\s*(?:(?:option|choice)\s+(?P<o>\d{{1,2}}|[a-z])\b\s*[:.)=\-–—]?|\(?(?P<n>\d{{1,2}}|[a-z])[).:\]]|(?P<e>{_EMOJI})"
    rf"\s*(?:[:=\-–—→]|\bfor\b)?|[-•*▪◦·])\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
_OPTION_WORD = re.compile(r"(?<!\w)(?:option|choice)\s+(\d{1,2}|[a-z])(?!\w)\s*(?:[:=\-–—]|\bis\b)?\s*", re.IGNORECASE)
_INLINE_MARKER = re.compile(r"(?:(?<=\s)|^)\(?(\d{1,2}|[a-zA-Z])\)\s*")
_EMOJI_FOR = re.compile(rf"(?P<e>{_EMOJI})\s*(?:[:=\-–—→]|\bfor\b)\s*(?P<text>[^,;\n]*?[^\s,;.!?])"
                        rf"(?=\s*(?:,|;|\n|\bor\b|$|[.!?]|{_EMOJI}))")
_VOTE_WORDS = re.compile(r"\?|\b(?:vote|pick|choose|which|reply|react|tell us|prefer|rather)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?![\w.])")


def _clean(text: str) -> str:
    text = text.strip().strip("\"'“”‘’«»").strip()
    text = re.sub(r"[\s,;:.!?…]+$", "", text)
    text = re.sub(r"^(?:or|and)(?:\s+|$)|\s+(?:or|and)$", "", text, flags=re.IGNORECASE)
    return re.sub(r"[\s,;:.!?…]+$", "", text).strip()


def _options(pairs: list[tuple[str | None, str]]) -> tuple[list[str], list[str | None]] | None:
    """Distinct, non-empty, not-too-long options (2 to MAX_OPTIONS), else None."""
    texts, markers, seen = [], [], set()
    for marker, text in pairs:
        text = _clean(text)
        if not text or len(text.split()) > MAX_WORDS or normalize(text) in seen:
            return None
        seen.add(normalize(text))
        texts.append(text)
        markers.append(marker)
    return (texts, markers) if 2 <= len(texts) <= MAX_OPTIONS else None


def _sequential(labels: list[str]) -> bool:
    """1, 2, 3… or a, b, c…: markers that really number a list."""
    if all(label.isdigit() for label in labels):
        return [int(label) for label in labels] == list(range(int(labels[0]), int(labels[0]) + len(labels)))
    lowered = [label.lower() for label in labels]
    return all(len(label) == 1 for label in lowered) and [ord(c) - ord(lowered[0]) for c in lowered] == list(
        range(len(lowered))
    )


def _line_list(lines: list[str]) -> tuple[list[str], list[str | None]] | None:
    found = [m for line in lines if (m := _LINE_MARKER.match(line))]
    if len(found) < 2:
        return None
    labels = [m.group("o") or m.group("n") for m in found]
    if any(labels) and not (all(labels) and _sequential(labels)):
        return None
    return _options([(m.group("e"), m.group("text")) for m in found])


def _option_words(text: str) -> tuple[list[str], list[str | None]] | None:
    """"Option 1: blue logo, option 2: red" (or bare "option 1 … option 2": the options are their names)."""
    hits = list(_OPTION_WORD.finditer(text))
    if len(hits) < 2 or not _sequential([m.group(1) for m in hits]):
        return None
    pairs = []
    for hit, following in zip(hits, [*hits[1:], None]):
        tail = text[hit.end(): following.start() if following else len(text)]
        tail = re.split(r"(?<=[.!?])\s|\n|\bor\b", tail, maxsplit=1)[0] if following is None else tail
        described = _clean(tail)
        pairs.append((None, described if 0 < len(described.split()) <= MAX_WORDS else f"Option {hit.group(1).upper()}"))
    return _options(pairs)


def _inline_markers(text: str) -> tuple[list[str], list[str | None]] | None:
    """"(A) blue or (B) red", "1) tea 2) coffee" in running text."""
    hits = list(_INLINE_MARKER.finditer(text))
    if len(hits) < 2 or not _sequential([m.group(1) for m in hits]):
        return None
    pairs = []
    for hit, following in zip(hits, [*hits[1:], None]):
        tail = text[hit.end(): following.start() if following else len(text)]
        pairs.append((None, re.split(r"[?\n]|(?<=[.!])\s", tail, maxsplit=1)[0]))
    return _options(pairs)


def _emoji_list(text: str) -> tuple[list[str], list[str | None]] | None:
    hits = list(_EMOJI_FOR.finditer(text))
    return _options([(m.group("e"), m.group("text")) for m in hits]) if len(hits) >= 2 else None


def _or_list(text: str) -> tuple[list[str], list[str | None]] | None:
    """"Which next: dark mode, widgets or offline sync?" - the last question that lists with "or"."""
    questions = [q for q in re.findall(r"[^?.!\n]*\?", text) if re.search(r"\sor\s", q, re.IGNORECASE)]
    if not questions:
        return None
    sentence = questions[-1].rstrip("?").strip()
    lead = re.split(r":\s+|\s*[—–]\s*|\s-\s", sentence)  # "Which next: …", never the colon of "7:40"
    listed = lead[-1] if len(lead) > 1 else sentence
    items = [i for i in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", listed, flags=re.IGNORECASE) if i.strip()]
    if len(items) < 2:
        return None
    if len(lead) == 1:  # "Do you prefer tea or coffee": the first item still carries the question
        width = max(len(i.split()) for i in items[1:])
        items[0] = " ".join(items[0].split()[-width:])
    return _options([(None, i) for i in items])


def find_options(text: str) -> tuple[list[str], list[str | None]]:
    """The options a post offers and each one's emoji marker (or None); ``([], [])`` when none.

    Tried in order: a list of lines (numbered, lettered, "option N", emoji or bullets), "option 1 …
    option 2" in running text, inline markers "(A) … (B) …", "🔥 for … 💧 for …", and "A, B or C?".
    """
    body = clean_reply(text.replace("\r", "\n")) if "\n" not in text else "\n".join(
        clean_reply(line) for line in text.replace("\r", "\n").split("\n")
    )
    if not _VOTE_WORDS.search(body) and not _LINE_MARKER.search(body):
        return [], []
    for finder in (lambda: _line_list(body.split("\n")), lambda: _option_words(body),
                   lambda: _inline_markers(body), lambda: _emoji_list(body), lambda: _or_list(body)):
        found = finder()
        if found:
            return found
    return [], []


def literal_vote(text: str, options: Sequence[str], markers: Sequence[str | None]) -> int | None:
    """Votes the shared mapping cannot read: an option's emoji marker, or a number option by itself."""
    plain = text.replace("\ufe0f", "")
    marked = {i for i, m in enumerate(markers) if m and m.replace("\ufe0f", "") in plain}
    if len(marked) == 1:
        return marked.pop()
    numbers = [normalize(o) for o in options]
    if all(_NUMBER.fullmatch(n) for n in numbers) and numbers != [str(i) for i in range(1, len(options) + 1)]:
        said = {numbers.index(n) for n in _NUMBER.findall(normalize(clean_reply(text))) if n in numbers}
        return said.pop() if len(said) == 1 else None
    return None


def _replies(store: Store, posts: Sequence[Post]) -> list[Reply]:
    authors = {(p.platform, p.author) for p in posts}
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Comment.platform, Comment.platform_id, Comment.author, Comment.text, Comment.created_at,
                   Comment.url, Comment.text_hash)
            .where(Comment.post_id.in_([p.id for p in posts]), Comment.ours.is_(False))
            .order_by(Comment.created_at, Comment.id)
        ).all()
    return [Reply(*row) for row in rows if (row.platform, row.author) not in authors]


def _poll_options(store: Store, posts: Sequence[Post]) -> list[str]:
    """A native poll's own options (the first post that has one): they beat anything read from text."""
    with store.engine.connect() as conn:
        found = conn.execute(
            select(PollSnapshot.options).join(Poll, Poll.id == PollSnapshot.poll_id)
            .where(Poll.post_id.in_([p.id for p in posts])).order_by(Poll.post_id, PollSnapshot.taken_at.desc())
            .limit(1)
        ).scalar()
    return [str(o) for o in found] if found else []


def _native_votes(store: Store, posts: Sequence[Post], options: Sequence[str]) -> dict[str, list[int]]:
    native: dict[str, list[int]] = {}
    with store.engine.connect() as conn:
        for post in posts:
            if post.platform in REPLY_COUNTED_POLLS:
                continue
            snap = conn.execute(
                select(PollSnapshot.options, PollSnapshot.votes).join(Poll, Poll.id == PollSnapshot.poll_id)
                .where(Poll.post_id == post.id).order_by(PollSnapshot.taken_at.desc()).limit(1)
            ).first()
            if snap is not None:
                counts = align_votes(options, list(snap.options), list(snap.votes))
                previous = native.get(post.platform, [0] * len(options))
                native[post.platform] = [a + b for a, b in zip(previous, counts)]
    return native


def tally(
    store: Store,
    posts: Sequence[Post],
    options: Sequence[str] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    embedder: Embedder | None = None,
) -> QuestionResults:
    """Votes in the replies to ``posts`` (one question, possibly cross-posted); see the module doc.

    ``options`` default to a native poll's options, else the first post's own (:func:`find_options`).
    """
    from sounding.analysis.views import current_version

    if not posts:
        raise UsageError("name at least one post to tally")
    markers: list[str | None]
    if options:
        options = [o.strip() for o in options if o and o.strip()]
        if len({normalize(o) for o in options}) != len(options):
            raise UsageError("the options repeat one another", hint="give each --option once")
        markers = [None] * len(options)
    elif polled := _poll_options(store, posts):
        options, markers = polled, [None] * len(polled)
    else:
        options, markers = next((found for p in posts if (found := find_options(p.text))[0]), ([], []))
    if len(options) < 2:
        raise UsageError("found no options in the post's text", hint='give them: --option "dark mode" --option widgets')
    replies = _replies(store, posts)
    literal = [literal_vote(r.text, options, markers) for r in replies]
    rest = [r for r, vote in zip(replies, literal) if vote is None]
    mapped, fresh = map_replies(rest, options, embedder=embedder, threshold=threshold, margin=margin)
    read = iter(mapped)
    matches = [Match(vote, "exact", None) if vote is not None else next(read) for vote in literal]
    pooled = pool_answers(options, _native_votes(store, posts, options), replies, matches)
    return QuestionResults(
        question_id=None,  # type: ignore[arg-type]  (a tally is not a stored question)
        text=posts[0].text,
        options=list(options),
        posts=[{"platform": p.platform, "id": p.platform_id, "url": p.url} for p in posts],
        pooled=pooled,
        results=poll_results(dict(zip(options, pooled.votes))),
        replies=len(replies),
        embedded_now=fresh,
        threshold=threshold,
        margin=margin,
        analysis_version=current_version(store),
    )

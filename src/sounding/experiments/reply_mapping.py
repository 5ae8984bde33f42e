"""Map a free-text reply to one of a question's options, first literally, then by meaning.

Why two steps: people answer a poll question with "2", "option B" or "dark mode!" as often as
with "I'd love a dark theme". The literal forms are unambiguous and must never depend on an
embedding model; everything else is compared by meaning (cosine similarity of sentence
embeddings, see :func:`match_by_meaning`). A reply that matches no option clearly stays "other"
and is shown to the user as a quote - it is often the most interesting answer.

All functions here are pure (texts and vectors in, decisions out), so they are tested without a
store.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sounding import text_patterns

#: Minimum cosine similarity between a reply and its best option (all-MiniLM-L6-v2 vectors).
#: Chosen on hand-written answers: paraphrases of a short option score about 0.37-0.8 ("I'd love a
#: dark theme" vs "Dark mode" 0.51, "a widget for the lock screen" vs "Widgets" 0.62), while
#: replies about something else score about 0.0-0.25 against it ("what about offline sync?" 0.18,
#: "option B" 0.22, "I don't care" 0.12).
DEFAULT_THRESHOLD = 0.35
#: Minimum lead of the best option over the runner-up, so "either is fine" is not a vote.
DEFAULT_MARGIN = 0.10

Method = Literal["exact", "meaning", "other"]


@dataclass(frozen=True, slots=True)
class Match:
    """What one reply says: an option index (or None = other), how it was decided, and the score."""

    option: int | None
    method: Method
    similarity: float | None = None  # cosine to the chosen (or best) option when by meaning


_MENTION, _URL = text_patterns.MENTION, text_patterns.URL
_NUMBER = re.compile(
    r"^(?:(?:i\s+)?(?:vote|pick|choose|go\s+with)\s+(?:for\s+)?)?"
    r"(?:(?:option|choice|number|answer|no|nr)\s*|#\s*)?"
    r"(?P<n>\d{1,2})"
    r"(?:\s+(?:please|pls|for\s+sure))?$"
)
_LETTER = re.compile(
    r"^(?:(?:i\s+)?(?:vote|pick|choose|go\s+with)\s+(?:for\s+)?)?"
    r"(?:(?:option|choice|answer)\s+)?"
    r"(?P<l>[a-z])"
    r"(?:\s+(?:please|pls|for\s+sure))?$"
)

_REFERENCE = re.compile(r"(?:(?<!\w)(?:option|choice|number)\s+|#\s*)(?P<ref>\d{1,2}|[a-z])(?!\w)")


def clean_reply(text: str) -> str:
    """The reply without @mentions and links (Mastodon replies start with "@brand", which would
    otherwise dominate a short reply's embedding), whitespace collapsed."""
    text = _URL.sub(" ", _MENTION.sub(" ", text or ""))
    return " ".join(text.split())


def normalize(text: str) -> str:
    """Case-folded, accents and punctuation removed, for literal comparisons."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch if ch.isalnum() or ch == "#" else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def exact_choice(text: str, options: Sequence[str]) -> int | None:
    """The option a reply names literally, or None.

    Accepted: the option's number ("2", "#2", "2.", "option 2", "I vote 2"), its letter ("B",
    "option b"; letters only up to the number of options), the option's text alone ("dark mode!"),
    a reply mentioning exactly one option's text as whole words ("dark mode for sure, thanks"), or
    referring to exactly one option explicitly ("hmm, option B actually", "#2 for me").
    A reply naming two or more options is left to the meaning step.
    """
    t = normalize(clean_reply(text))
    if not t:
        return None
    if m := _NUMBER.match(t):
        n = int(m.group("n"))
        return n - 1 if 1 <= n <= len(options) else None
    if (m := _LETTER.match(t)) and len(options) <= 26:
        i = ord(m.group("l")) - ord("a")
        return i if i < len(options) else None
    normal_options = [normalize(o) for o in options]
    for i, o in enumerate(normal_options):
        if o and t == o:
            return i
    named = [i for i, o in enumerate(normal_options) if o and re.search(rf"(?<!\w){re.escape(o)}(?!\w)", t)]
    # An option contained in another ("mode" / "dark mode") counts once, as the longer one.
    named = [i for i in named if not any(j != i and normal_options[i] in normal_options[j] for j in named)]
    # "hmm, option B actually", "#2 for me": an explicit reference anywhere in the reply.
    for m in _REFERENCE.finditer(t):
        ref = m.group("ref")
        i = int(ref) - 1 if ref.isdigit() else ord(ref) - ord("a")
        if 0 <= i < len(options):
            named.append(i)
    return named[0] if len(set(named)) == 1 else None


def match_by_meaning(
    reply_vectors: np.ndarray,
    option_vectors: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
) -> list[Match]:
    """Each reply's option by cosine similarity (vectors L2-normalised), or "other".

    A reply maps to its most similar option when that similarity is at least ``threshold`` and
    beats the runner-up by at least ``margin``; otherwise it is "other".
    """
    if len(reply_vectors) == 0:
        return []
    sims = np.asarray(reply_vectors, dtype=np.float32) @ np.asarray(option_vectors, dtype=np.float32).T
    order = np.argsort(-sims, axis=1)
    out = []
    for row, ranked in zip(sims, order):
        best = float(row[ranked[0]])
        second = float(row[ranked[1]]) if len(ranked) > 1 else -1.0
        if best >= threshold and best - second >= margin:
            out.append(Match(int(ranked[0]), "meaning", best))
        else:
            out.append(Match(None, "other", best))
    return out

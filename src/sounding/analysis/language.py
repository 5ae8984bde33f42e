"""Language of each comment (ISO 639-1), offline, with py3langid (BSD-3-Clause, model in the package).

``language(texts) -> list[str]``. Before detection, URLs, @handles, #-signs, digits and emoji are
removed; a text with fewer than :data:`MIN_LETTERS` letters left gets ``"und"`` (undetermined).
The candidate set is restricted to :data:`LANGUAGES` (widely used languages on social media):
langid.py's full 97-language model often labels short English comments as e.g. Latin or Maltese.
"""

from __future__ import annotations

import re
import threading
from typing import Sequence

from sounding import text_patterns

LANGUAGE_MODEL_VERSION = "py3langid-0.4.0/restricted-v1"

#: Candidate languages (ISO 639-1).
LANGUAGES = (
    "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "ro", "hu",
    "tr", "ru", "uk", "el", "ar", "he", "fa", "hi", "bn", "ur", "id", "ms", "tl", "vi", "th",
    "zh", "ja", "ko", "ca", "hr", "sk", "bg", "sr",
)
MIN_LETTERS = 3

_CLEAN = re.compile(f"{text_patterns.MENTION_OR_URL.pattern}|#|\\d+", re.I)
_lock = threading.Lock()
_ident = None


def _identifier():
    global _ident
    with _lock:
        if _ident is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
            ident.set_languages(list(LANGUAGES))
            _ident = ident
        return _ident


def language(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code per text, or ``"und"`` when there is too little text to tell."""
    ident = _identifier()
    out = []
    for t in texts:
        s = _CLEAN.sub(" ", "" if t is None else str(t))
        if sum(ch.isalpha() for ch in s) < MIN_LETTERS:
            out.append("und")
            continue
        out.append(ident.classify(s)[0])
    return out

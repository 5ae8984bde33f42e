"""Per-comment classifiers (placeholder; heads are being trained)."""
from __future__ import annotations

import re

_HANDLE = re.compile(r"(?<![\w@])@\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Mask @handles as ``@user`` and drop URLs (TweetEval convention), collapse whitespace."""
    text = _URL.sub(" ", text or "")
    text = _HANDLE.sub("@user", text)
    return _WS.sub(" ", text).strip()

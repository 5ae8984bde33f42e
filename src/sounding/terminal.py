"""Untrusted text made safe for a terminal and for rich markup.

Comments, names, ids and platform names come from strangers. Before any of it reaches a terminal,
control characters (ESC, OSC, BEL, C1, bidi overrides) are shown as visible escapes and rich markup
brackets are escaped, so a comment can neither move the cursor, retitle the window, make a link,
nor break a table.
"""

from __future__ import annotations

import re
import unicodedata

from rich.markup import escape as _escape_markup
from rich.text import Text

# C0 (except tab/newline handled below), DEL, C1, and the bidi/invisible format characters. The
# zero-width (non-)joiners U+200C/U+200D stay: emoji sequences and several scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: object, *, newlines: bool = True) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``); no markup escaping."""
    value = "" if text is None else str(text)
    value = _CONTROL.sub(_visible, value)
    if not newlines:
        value = value.replace("\r", "\\r").replace("\n", " ").replace("\t", " ")
    else:
        value = value.replace("\r", "\\r")
    return unicodedata.normalize("NFC", value)


def safe(text: object, *, newlines: bool = True) -> str:
    """``text`` ready to print through rich: control characters visible, markup brackets escaped."""
    return _escape_markup(visible(text, newlines=newlines))


def cell(text: object, *, newlines: bool = False) -> Text:
    """Untrusted text as a rich ``Text`` (a table cell, a line): never parsed as markup, controls visible."""
    return Text(visible(text, newlines=newlines))

"""Reddit: fullnames as ids, the text of a submission, permalinks, handles.

Ids are fullnames (``t3_…`` submissions, ``t1_…`` comments), as the API's ``name`` and
``parent_id`` are; data exports mix bare ids and fullnames, so both doors store fullnames.
"""

from __future__ import annotations

import re

POST = "t3_"
COMMENT = "t1_"
SITE = "https://www.reddit.com"

_FULLNAME = re.compile(r"^t[0-9]_")
_POST_IN_URL = re.compile(r"/comments/([a-z0-9]+)")


def fullname(value: str, prefix: str) -> str:
    """``abc`` → ``t3_abc`` (with ``prefix``); a fullname stays as it is."""
    return value if _FULLNAME.match(value) else prefix + value


def post_from_url(url: str) -> str | None:
    """The submission's fullname from a permalink or post URL (``…/comments/<id>/…``)."""
    match = _POST_IN_URL.search(url)
    return POST + match.group(1) if match else None


def post_text(title: str, body: str | None) -> str:
    """A submission as one text: the title, then the self text after a blank line."""
    return f"{title}\n\n{body}" if body else title


def permalink(value: str | None) -> str | None:
    """An absolute URL from the API's site-relative permalink (absolute ones are kept)."""
    if not value:
        return None
    return value if value.startswith(("http://", "https://")) else SITE + value


def handle(value: str) -> str:
    """``u/name``, ``/u/name`` or ``name`` → ``name``."""
    value = value.strip()
    for prefix in ("/u/", "u/", "/user/", "user/"):
        if value.lower().startswith(prefix):
            return value[len(prefix) :]
    return value

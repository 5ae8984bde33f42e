"""Platform knowledge that more than one door needs: a connector and an export importer of the
same platform map ids, authors, texts and times through these functions, so the same post reached
through either door is the same row. Pure functions, no client libraries (importing is cheap).
"""

import hashlib
from datetime import datetime


def whole_seconds(value: datetime) -> datetime:
    """APIs give times in whole seconds, some exports with fractions (Mastodon's API milliseconds
    against ``published``; YouTube's Takeout microseconds): both doors keep whole seconds."""
    return value.replace(microsecond=0)


def archive_id(kind: str, *parts: object) -> str:
    """A stable id for an archive item that has none (Meta's posts, LinkedIn's comments): the same
    item imported again is the same row."""
    digest = hashlib.sha1("\0".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"archive-{kind}-{digest[:20]}"

"""The one pattern for a link and for an @mention, used wherever text is cleaned or read.

A mention is ``@name``, ``@name.bsky.social`` or a fediverse ``@name@instance.social``; the group
holds the handle. A link is ``http(s)://…`` or ``www.…`` up to the next space.
"""

from __future__ import annotations

import re

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION = re.compile(r"(?<![\w@])@([\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
MENTION_OR_URL = re.compile(f"{URL.pattern}|{MENTION.pattern}", re.IGNORECASE)

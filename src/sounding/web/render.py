"""Templates and links, shared by the live server and the static ``report --html``.

Autoescape is on for every template and nothing is marked safe: comments are strangers' words.
Links go through :class:`Links`, which writes ``/thread?post=…`` on the server and
``thread-<hash>.html`` in a static report (remembering which pages the report must then write).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import re

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGES = {  # name -> (path on the server, file in a static report, title in the navigation)
    "overview": ("/", "index.html", "Overview"),
    "lessons": ("/lessons", "lessons.html", "Lessons"),
    "themes": ("/themes", "themes.html", "Themes"),
    "comments": ("/comments", "comments.html", "Comments"),
    "inbox": ("/inbox", "inbox.html", "Inbox"),
    "tests": ("/tests", "tests.html", "Tests"),
    "polls": ("/polls", "polls.html", "Polls"),
    "decisions": ("/decisions", "decisions.html", "Decisions"),
    "sync": ("/sync", "sync.html", "Sync"),
}
NAV = ("overview", "lessons", "themes", "comments", "inbox", "tests", "polls", "decisions", "sync")


def slug(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


class Links:
    """URLs of pages; ``static`` makes them relative file names of a report."""

    def __init__(self, static: bool = False) -> None:
        self.static = static
        self.threads: set[tuple[str, str]] = set()
        self.tests: set[str] = set()

    def page(self, name: str, **params) -> str:
        path, file, _ = PAGES[name]
        if self.static:
            return file
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{path}?{query}" if query else path

    def thread(self, post: str, platform: str | None = None, anchor: str | None = None) -> str:
        fragment = f"#c-{slug(anchor)}" if anchor else ""
        if self.static:
            self.threads.add((platform or "", post))
            return f"thread-{slug(platform or '', post)}.html{fragment}"
        query = urlencode({k: v for k, v in (("post", post), ("platform", platform)) if v})
        return f"/thread?{query}{fragment}"

    def test(self, name: str) -> str:
        if self.static:
            self.tests.add(name)
            return f"test-{slug(name)}.html"
        return f"/tests/report?{urlencode({'name': name})}"

    def static_file(self, path: str) -> str:
        return f"static/{path}" if self.static else f"/static/{path}"

    def api(self, path: str, **params) -> str | None:
        if self.static:
            return None
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"/api/v1/{path}?{query}" if query else f"/api/v1/{path}"


def _ago(value) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    hours = (datetime.now(UTC) - value).total_seconds() / 3600
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    if hours < 48:
        return f"{hours:.0f} h"
    if hours < 24 * 60:
        return f"{hours / 24:.0f} days"
    return f"{hours / 24 / 365.25:.1f} years" if hours > 24 * 365 else f"{hours / 24 / 30.4:.0f} months"


def _when(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def _pct(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def _num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


# Controls that reorder or hide text (bidi overrides, isolates) and C0 controls: shown, not obeyed,
# so a comment cannot make itself read backwards or spoof what follows it.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _finalize(value):
    """Every ``{{ value }}`` passes here before autoescape: controls become visible escapes."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return value


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, finalize=_finalize,
    )
    env.filters.update(ago=_ago, when=_when, pct=_pct, num=_num)
    env.globals.update(nav=[(name, PAGES[name][2]) for name in NAV], slug=slug)
    return env


ENV = environment()


def render(template: str, links: Links, **context) -> str:
    return ENV.get_template(template).render(links=links, static=links.static, **context)


def bars(rows: list[dict], value: str, label: str, width: int = 320) -> list[dict]:
    """Bar geometry for an SVG bar chart (label, value, x width in px), longest = ``width``."""
    top = max((float(r[value] or 0) for r in rows), default=0) or 1
    return [{"label": r[label], "value": r[value], "w": round(width * float(r[value] or 0) / top, 1)}
            for r in rows]

"""``sounding report --html DIR``: the dashboard's pages as static files to share by e-mail.

Same templates and contexts as the server; links are relative file names, the vendored scripts
and styles are copied beside the pages, so the folder opens offline from disk. Forms (inbox
actions, filters) are left out: a report is read, not worked in.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sounding.api import Sounding
from sounding.browse import MAX_LIMIT, Query
from sounding.errors import NotFoundError, UsageError
from sounding.web import insights, pages
from sounding.web.render import PAGES, STATIC, Links, render, slug

MAX_THREADS = 500  # threads linked from the report's pages, written as their own pages


def _memo() -> Any:
    values: dict[str, Any] = {}

    def cache(key: str, compute, follows_analysis: bool = False):
        if key not in values:
            values[key] = compute()
        return values[key]

    return cache


def _themes(api: Sounding, cache) -> dict:
    context = pages.themes_page(api, cache, Query(limit=MAX_LIMIT))
    return {**context, "chart": insights.theme_chart(api, cache, context["themes"]) if api.analysed else None}


def write_report(api: Sounding, directory: Path) -> list[Path]:
    """Write every page (and each thread and test they link to) into ``directory``; returns the files."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    links, cache, written = Links(static=True), _memo(), []

    def page(file: str, template: str, context: dict) -> None:
        path = directory / file
        path.write_text(render(template, links, **context), encoding="utf-8")
        written.append(path)

    everything = Query(limit=MAX_LIMIT)
    contexts = {
        "overview": ("overview.html", pages.overview(api, cache)),
        "lessons": ("lessons.html", {**pages.lessons_page(api, cache, Query(limit=MAX_LIMIT)), "by": None, "views": {}}),
        "themes": ("themes.html", _themes(api, cache)),
        "comments": ("comments.html", pages.comments_page(api, Query(limit=200, sort="-created_at", extra={"ours": False}), "audience")),
        "inbox": ("inbox.html", pages.inbox_page(api, cache, everything)),
        "tests": ("tests.html", pages.tests_page(api, cache)),
        "polls": ("polls.html", pages.polls_page(api, cache)),
        "decisions": ("decisions.html", pages.decisions_page(api)),
        "sync": ("sync.html", pages.sync_page(api)),
    }
    for name, (template, context) in contexts.items():
        page(PAGES[name][1], template, context)
    for name in sorted(links.tests):
        page(f"test-{slug(name)}.html", "test_report.html", pages.test_report_page(api, cache, name))
    done: set[tuple[str, str]] = set()
    while len(done) < MAX_THREADS and (todo := sorted(links.threads - done)):
        for platform, post in todo[: MAX_THREADS - len(done)]:
            done.add((platform, post))
            try:
                context = pages.thread_page(api, post, platform or None)
            except NotFoundError:
                continue
            page(f"thread-{slug(platform, post)}.html", "thread.html", context)
    target = directory / "static"
    shutil.copytree(STATIC, target, dirs_exist_ok=True)
    return written

"""The loop on one page: what we asked, tested, learned, decided, whom we told, and what changed.

:func:`gather` collects the facts for a period from the core (questions, experiments, lessons,
decisions, replies sent, before/after); the renderers turn them into Markdown, HTML (Jinja2 with
autoescape, self-contained) or PDF (that HTML printed by headless Chromium). Audience text is
escaped for each format: never live Markdown, HTML or terminal markup.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sounding.errors import InputError, UsageError

FORMATS = ("terminal", "markdown", "html", "pdf")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _within(dt: Any, since: datetime, until: datetime) -> bool:
    if dt is None:
        return False
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    dt = _aware(dt)
    return since <= dt <= until


def gather(api: Any, since: datetime | None = None, until: datetime | None = None, lessons: int = 5) -> dict[str, Any]:
    """The facts of the loop for ``since``..``until`` (default: the last 30 days); lessons are the current ones."""
    until = _aware(until or datetime.now(UTC))
    since = _aware(since) or until - timedelta(days=30)
    if since > until:
        raise UsageError("--since is after --until")
    facts: dict[str, Any] = {"since": since, "until": until}

    asked = []
    for q in api.experiments.questions():
        entry = {"id": q.get("id"), "text": q.get("text", ""), "platforms": q.get("platforms", []), "answer": None}
        try:
            result = api.experiments.question_results(q["id"])
            top = max(result.options, key=lambda o: o.get("people", o.get("votes", 0))) if getattr(result, "options", None) else None
            entry["answer"] = top
        except Exception:  # noqa: BLE001 - a question with no replies yet still belongs in the report
            pass
        asked.append(entry)
    facts["asked"] = asked

    tested = []
    for summary in api.experiments.status():
        name = getattr(summary, "name", None)
        try:
            tested.append({"name": name, "answer": api.experiments.report(name).answer})
        except Exception as exc:  # noqa: BLE001 - shown as a line, the rest of the report still renders
            tested.append({"name": name, "answer": f"not analysable yet ({exc})"})
    facts["tested"] = tested

    learned = []
    if api.analysed:
        frame = api.lessons()
        for row in frame.head(lessons).itertuples():
            quote = row.quotes[0]["text"] if row.quotes else None
            learned.append({"rank": row.rank, "lesson": row.lesson, "title": row.title, "people": row.people,
                            "quote": quote})
    facts["learned"] = learned

    decided, told, changed = [], [], []
    for d in api.act.decisions():
        events = [e for e in d["events"] if _within(e["at"], since, until)]
        if not events and not _within(d["decided_at"], since, until):
            continue
        decided.append({"id": d["id"], "title": d["title"], "status": d["status"], "people": d["people"],
                        "threads": d["threads"], "platforms": d["platforms"],
                        "events": [{"status": e["status"], "at": _aware(e["at"]), "note": e["note"]} for e in events]})
        sent = [r for r in api.act.replies(d["id"]) if r["status"] == "published"
                and _within(r["published_at"], since, until)]
        if sent:
            told.append({"decision": d["id"], "title": d["title"], "threads": len(sent),
                         "people": len({p for r in sent for p in r["people"]}),
                         "platforms": sorted({r["platform"] for r in sent})})
        if d["status"] == "shipped" and d["lessons"]:
            try:
                result = api.act.before_after(d["id"])
                changed.append({"decision": d["id"], "title": d["title"], "verdict": result["verdict"],
                                "why": result["why"]})
            except Exception as exc:  # noqa: BLE001
                changed.append({"decision": d["id"], "title": d["title"], "verdict": "unknown", "why": str(exc)})
    facts.update(decided=decided, told=told, changed=changed)
    facts["undecided"] = api.act.undecided(top=lessons)
    return facts


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md(text: Any) -> str:
    """Untrusted text as inert Markdown: one line, every markup character escaped, no raw HTML."""
    from sounding.terminal import visible

    return _MD_SPECIAL.sub(r"\\\1", visible(text, newlines=False))


def markdown(facts: dict[str, Any]) -> str:
    lines = [f"# What we learned and did, {facts['since']:%Y-%m-%d} to {facts['until']:%Y-%m-%d}", ""]
    lines += ["## What we asked", ""]
    lines += [f"- {md(q['text'])} ({', '.join(md(p) for p in q['platforms']) or 'not published'})"
              + (f": most people chose {md(q['answer'].get('option'))}" if q.get("answer") else "")
              for q in facts["asked"]] or ["- nothing"]
    lines += ["", "## What we tested", ""]
    lines += [f"- **{md(t['name'])}**: {md(t['answer'])}" for t in facts["tested"]] or ["- nothing"]
    lines += ["", "## What we learned", ""]
    for lesson in facts["learned"]:
        lines.append(f"{lesson['rank']}. {md(lesson['title'])}")
        if lesson["quote"]:
            lines.append(f"   > {md(lesson['quote'])}")
    if not facts["learned"]:
        lines.append("- nothing analysed yet")
    lines += ["", "## What we decided", ""]
    for d in facts["decided"]:
        moves = "; ".join(f"{e['status']} {e['at']:%Y-%m-%d}" + (f" ({md(e['note'])})" if e["note"] else "")
                          for e in d["events"])
        lines.append(f"- **{md(d['title'])}** ({d['status']}), for {d['people']} people in {d['threads']} threads"
                     f" on {', '.join(d['platforms']) or 'no platform'}: {moves}")
    if not facts["decided"]:
        lines.append("- nothing")
    waiting = ", ".join(f"#{u['rank']} {md(u['title'])}" for u in facts["undecided"])
    lines += ["", f"Top lessons with no decision yet: {waiting or 'none'}", "", "## Whom we told", ""]
    lines += [f"- {md(t['title'])}: {t['people']} people in {t['threads']} threads ({', '.join(t['platforms'])})"
              for t in facts["told"]] or ["- nobody yet"]
    lines += ["", "## What changed", ""]
    lines += [f"- {md(c['title'])}: **{c['verdict']}**; {md(c['why'])}" for c in facts["changed"]] or ["- nothing shipped"]
    return "\n".join(lines) + "\n"


def html(facts: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("sounding.act", "templates"), autoescape=select_autoescape(default=True))
    return env.get_template("loop_report.html").render(**facts)


def pdf(facts: dict[str, Any], out: Path) -> Path:
    """The HTML report printed to PDF by headless Chromium (Debian's ``chromium``)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise InputError("a PDF needs Chromium (Debian: apt-get install chromium); Markdown and HTML work without it")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html(facts), encoding="utf-8")
        args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()]
        done = subprocess.run(args, capture_output=True, timeout=120, check=False)
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise InputError(f"Chromium could not print the PDF (exit {done.returncode})")
    return out

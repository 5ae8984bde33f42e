"""Act and tell: ``decide``, ``decisions``, ``decision …``, ``lesson …``, ``tell …``, ``optout``, ``forget``,
``report``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from sounding.commands import open_api
from sounding.errors import UsageError
from sounding.terminal import safe

console = Console()
err = Console(stderr=True)

decision_app = typer.Typer(help="Show a decision, move its status, link lessons, see what changed.", no_args_is_help=True)
lesson_app = typer.Typer(help="Merge a lesson into another (reversible: the people behind both follow the survivor).",
                         no_args_is_help=True)
tell_app = typer.Typer(help="\"You asked, we did\": draft, review, edit and send one reply per thread.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Lessons = Annotated[list[str] | None, typer.Option("--lesson", "-l", help="A lesson number (see `sounding lessons`); repeatable.")]
Comments = Annotated[list[str] | None, typer.Option("--comment", "-c", help="A comment: store id or platform:id; repeatable.")]
Author = Annotated[str | None, typer.Option("--author", help="Who made this change (shown in the log).")]
Note = Annotated[str | None, typer.Option("--note", help="A public note (used in the replies that tell people).")]


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, default=lambda o: o.isoformat() if isinstance(o, datetime) else str(o),
                          ensure_ascii=False, indent=2))


def _print_decision(d: dict[str, Any]) -> None:
    console.print(f"[bold]#{d['id']} {safe(d['title'])}[/]  [dim]{d['status']}[/]")
    console.print(f"   for {d['people']} people ({d['evidence']} comments in {d['threads']} threads"
                  f"{' on ' + ', '.join(safe(p) for p in d['platforms']) if d['platforms'] else ''})")
    for lesson in d["lessons"]:
        merged = " (a merged lesson's survivor)" if lesson.get("merged_from") else ""
        console.print(f"   lesson {lesson['lesson'] or '(gone)'}: {safe(lesson['title'] or lesson['theme_name'] or '')}"
                      f"{merged}")
    for e in d["events"]:
        who = f" by {safe(e['author'])}" if e["author"] else ""
        note = f": {safe(e['note'])}" if e["note"] else ""
        console.print(f"   [dim]{e['at']:%Y-%m-%d %H:%M} {e['status']}{who}{note}[/]")


def decide(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What we decided, e.g. \"Add dark mode\".")],
    lesson: Lessons = None,
    comment: Comments = None,
    status: Annotated[str, typer.Option(help="planned, started, shipped or declined.")] = "planned",
    author: Author = None,
    note: Note = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a decision linked to the lessons and comments behind it."""
    d = open_api(ctx).act.decide(title, lessons=lesson or [], comments=comment or [], status=status, author=author,
                                 note=note)
    _json(d) if as_json else _print_decision(d)


def decisions(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only decisions in this status.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The decision log: what changed because of whom, and the top lessons with no decision yet."""
    act = open_api(ctx).act
    log, waiting = act.decisions(status), act.undecided()
    if as_json:
        _json({"decisions": log, "undecided_lessons": waiting})
        return
    for d in log:
        _print_decision(d)
    if not log:
        console.print("No decisions yet: `sounding decide \"…\" --lesson N`.")
    if waiting:
        console.print("\n[bold]Top lessons with no decision yet[/]")
        for u in waiting:
            console.print(f"  #{u['rank']} (lesson {u['lesson']}) {safe(u['title'])}")


@decision_app.command("show")
def decision_show(ctx: typer.Context, decision: int, as_json: JsonFlag = False) -> None:
    """One decision with its history, lessons and people."""
    d = open_api(ctx).act.decision(decision)
    _json(d) if as_json else _print_decision(d)


@decision_app.command("status")
def decision_status(
    ctx: typer.Context,
    decision: int,
    status: Annotated[str, typer.Argument(help="started, shipped, declined, or planned (reopen).")],
    author: Author = None,
    note: Note = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a decision on (each change is dated, with its author and note)."""
    d = open_api(ctx).act.set_status(decision, status, author=author, note=note)
    _json(d) if as_json else _print_decision(d)


@decision_app.command("link")
def decision_link(ctx: typer.Context, decision: int, lesson: Lessons = None, comment: Comments = None) -> None:
    """Link more lessons or comments to a decision."""
    _print_decision(open_api(ctx).act.link(decision, lessons=lesson or [], comments=comment or []))


@decision_app.command("impact")
def decision_impact(
    ctx: typer.Context,
    decision: int,
    window: Annotated[int, typer.Option(help="Days on each side of the ship date.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Before and after the ship date: did people report fewer problems, say fewer negative things?"""
    r = open_api(ctx).act.before_after(decision, window_days=window)
    if as_json:
        _json(r)
        return
    console.print(f"[bold]{safe(r.get('title', ''))}[/]: [bold]{r['verdict']}[/]")
    console.print(f"  {safe(r['why'])}")
    if r.get("before"):
        console.print(f"  [dim]{r['before']['comments']} comments in the {r['window_days']:.0f} days before, "
                      f"{r['after']['comments']} after[/]")
    if r.get("control"):
        console.print(f"  [dim]themes with no decision, same days: {r['control']['verdict']}[/]")


def _print_merge(m: dict[str, Any]) -> None:
    who = f" by {safe(m['merged_by'])}" if m["merged_by"] else ""
    note = f": {safe(m['note'])}" if m["note"] else ""
    console.print(f"[bold]lesson {m['lesson']}[/] → lesson {m['survivor'] or m['into']}  "
                  f"[dim]{'merged' if m['active'] else 'unmerged'}[/]  {safe(m['title'] or '')}")
    console.print(f"   [dim]merged {m['merged_at']:%Y-%m-%d %H:%M}{who}{note}[/]")
    if not m["active"]:
        who = f" by {safe(m['unmerged_by'])}" if m["unmerged_by"] else ""
        again = "" if not m["lesson_now"] else f"; it is lesson {m['lesson_now']} " + (
            "again" if m["lesson_now"] == m["lesson"] else f"now (number {m['lesson']} was taken meanwhile)")
        note = f": {safe(m['unmerge_note'])}" if m["unmerge_note"] else ""
        console.print(f"   [dim]unmerged {m['unmerged_at']:%Y-%m-%d %H:%M}{who}{note}{again}[/]")
    elif m["survivor_title"]:
        console.print(f"   now: {safe(m['survivor_title'])}")


@lesson_app.command("merge")
def lesson_merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The lesson to merge (its number, see `sounding lessons`).")],
    into: Annotated[str, typer.Argument(help="The lesson that absorbs it (the survivor).")],
    author: Author = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (shown in the merge history).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Merge lesson SOURCE into lesson INTO: its people, comments and decisions follow INTO."""
    m = open_api(ctx).act.merge_lesson(source, into, author=author, note=note)
    _json(m) if as_json else _print_merge(m)


@lesson_app.command("unmerge")
def lesson_unmerge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The merged lesson's number.")],
    author: Author = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (shown in the merge history).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Undo a merge: the lesson gets back exactly the comments it handed over, under its old number."""
    m = open_api(ctx).act.unmerge_lesson(source, author=author, note=note)
    _json(m) if as_json else _print_merge(m)


@lesson_app.command("merges")
def lesson_merges(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every merge, standing or undone, with who did it and when."""
    rows = open_api(ctx).act.lesson_merges()
    if as_json:
        _json(rows)
        return
    for m in rows:
        _print_merge(m)
    if not rows:
        console.print("No lesson merges yet: `sounding lesson merge SOURCE INTO`.")


def _print_replies(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        people = len(r["people"])
        console.print(f"[bold]reply {r['id']}[/] [dim]{r['status']}[/] {safe(r['platform'])} → {safe(r['reply_to'])} "
                      f"({people} {'person' if people == 1 else 'people'} in this thread)")
        console.print(f"   “{safe(r['text'], newlines=False)}”")
        if r.get("error"):
            console.print(f"   [red]{safe(r['error'])}[/]")


@tell_app.command("draft")
def tell_draft(
    ctx: typer.Context,
    decision: int,
    text: Annotated[str | None, typer.Option(help="Reply text; {title} and {note} are filled in.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Draft one reply per thread behind a shipped or declined decision (threads told already are kept)."""
    rows = open_api(ctx).act.draft(decision, text)
    _json(rows) if as_json else _print_replies(rows)


@tell_app.command("list")
def tell_list(ctx: typer.Context, decision: Annotated[int | None, typer.Argument()] = None,
              as_json: JsonFlag = False) -> None:
    """Drafted and sent replies."""
    rows = open_api(ctx).act.replies(decision)
    _json(rows) if as_json else _print_replies(rows)


@tell_app.command("edit")
def tell_edit(ctx: typer.Context, reply: int, text: Annotated[str, typer.Option(help="The new words.")]) -> None:
    """Change one draft's words before it is sent."""
    _print_replies([open_api(ctx).act.edit(reply, text)])


@tell_app.command("send")
def tell_send(
    ctx: typer.Context,
    decision: int,
    confirm: Annotated[bool, typer.Option("--confirm", help="Really post (without it: a dry run).")] = False,
    pace: Annotated[float, typer.Option(help="Seconds between two replies (platform rate limits).")] = 2.0,
    as_json: JsonFlag = False,
) -> None:
    """Send the drafts through the connected accounts; a dry run unless --confirm."""
    rows = open_api(ctx).act.publish(decision, confirm=confirm, pace=pace)
    if as_json:
        _json(rows)
        return
    _print_replies(rows)
    if not confirm and rows:
        console.print(f"\nDry run: nothing was posted. Send these {len(rows)} replies with --confirm.")
    if not rows:
        console.print("Nothing to send (every thread was told, or no drafts: `sounding tell draft`).")


@tell_app.command("mark")
def tell_mark(ctx: typer.Context, reply: int,
              status: Annotated[str, typer.Argument(help="published (it went out) or draft (send it again).")]) -> None:
    """Settle a reply whose send was interrupted, after looking at the thread."""
    open_api(ctx).act.mark(reply, status)
    console.print(f"reply {reply}: {status}")


def optout(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="PLATFORM:HANDLE (as the platform names them) or a pseudonym u_….")],
    undo: Annotated[bool, typer.Option("--undo", help="They may be contacted again.")] = False,
) -> None:
    """A person asked not to be contacted: "you asked, we did" replies skip them from now on."""
    act = open_api(ctx).act
    who = act.opt_in(person) if undo else act.opt_out(person)
    console.print(f"{safe(who)}: {'may be contacted again' if undo else 'will not be contacted'}")


def forget(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="PLATFORM:HANDLE or a pseudonym u_….")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a person on request: their comments, handle, analysis, replies and opt-out; lessons recomputed."""
    if not yes and not typer.confirm(f"Erase everything {person} wrote from this store? This cannot be undone"):
        raise UsageError("nothing erased")
    receipt = open_api(ctx).act.forget(person)
    if as_json:
        _json(receipt)
        return
    console.print(f"Forgot {safe(receipt['person'])}: {receipt['comments']} comments, {receipt['posts']} posts "
                  f"({receipt['posts_emptied']} kept empty for the replies under them), {receipt['snapshots']} "
                  f"reaction snapshots, {receipt['analysis_rows']} analysis rows, {receipt['other_rows']} other rows; "
                  f"{receipt['replies_moved']} replies by others moved up their thread; lessons recomputed.")


def loop_report(
    ctx: typer.Context,
    since: Annotated[datetime | None, typer.Option(help="Start of the period (default: 30 days before --until).")] = None,
    until: Annotated[datetime | None, typer.Option(help="End of the period (default: now).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="terminal, markdown, html or pdf.")] = "terminal",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file (needed for pdf).")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", file_okay=False, help="Write the dashboard's pages as a static, self-contained report into this "
        "folder (charts included), with the loop page as loop.html.")] = None,
) -> None:
    """The loop on one page: asked, tested, learned, decided, told, changed (or the dashboard as files)."""
    from sounding.act import loop_report as lr

    if html is not None:
        from sounding.commands.web import report as dashboard_report

        dashboard_report(ctx, html)
        (html / "loop.html").write_text(lr.html(lr.gather(open_api(ctx), since, until)), encoding="utf-8")
        return

    if format not in lr.FORMATS:
        raise UsageError(f"unknown format {format!r}; one of: {', '.join(lr.FORMATS)}")
    facts = lr.gather(open_api(ctx), since, until)
    if format == "pdf":
        if out is None:
            raise UsageError("a PDF needs --out FILE.pdf")
        console.print(f"Wrote {safe(lr.pdf(facts, out))}")
        return
    text = lr.html(facts) if format == "html" else lr.markdown(facts)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {safe(out)}")
    elif format == "terminal":
        for line in text.splitlines():  # the Markdown, shown as plain text: nothing in it is parsed as markup
            console.print(safe(line.replace("\\", "")), highlight=False)
    else:
        typer.echo(text)


def register(app: typer.Typer) -> None:
    app.command()(decide)
    app.command()(decisions)
    app.add_typer(decision_app, name="decision")
    app.add_typer(lesson_app, name="lesson")
    app.add_typer(tell_app, name="tell")
    app.command()(optout)
    app.command()(forget)
    app.command("report")(loop_report)

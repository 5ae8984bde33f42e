"""Core commands: ``import``, ``status`` and ``demo``."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from sounding.api import Sounding
from sounding.commands import open_api
from sounding.core.demo import TITLE, demo_database
from sounding.errors import UsageError
from sounding.importers import FORMATS, ImportReport
from sounding.importers.base import Format
from sounding.terminal import cell, safe

console = Console()
err = Console(stderr=True)


def progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to import, in order (posts before replies).", exists=True, dir_okay=False)],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}. Default: guessed from the file name.")
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where rejected rows of all files go (JSONL). Default: FILE.rejects.jsonl beside each file."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --rejects file that is not an earlier rejects file of these inputs.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    map_: Annotated[
        str | None,
        typer.Option("--map", help="Spreadsheet columns: text=Comment,author=Name,created_at=Date,… (docs/sources.md)."),
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="A documented comment-export layout (docs/sources.md).")
    ] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Spreadsheet rows' platform.")] = None,
    post: Annotated[str | None, typer.Option("--post", help="Spreadsheet: the post (id or URL) commented on.")] = None,
    ours: Annotated[str | None, typer.Option("--ours", help="Spreadsheet: our author name (our replies).")] = None,
) -> None:
    """Import posts and comments from JSONL, CSV or a platform export; exit code 1 if rows were rejected."""
    chosen: str | Format | None = format
    if map_ or preset or platform or post or ours:
        from sounding.importers.spreadsheet import Sheet, mapping_for

        if format not in (None, Sheet.name):
            raise UsageError(
                f"--map, --preset, --platform, --post and --ours read comment spreadsheets; drop --format {format}"
            )
        chosen = Sheet(mapping_for(map_, preset, platform, post, ours))
    api = open_api(ctx)
    with progress() as bar:
        tasks: dict[Path, object] = {}

        def advance(path: Path, n: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(f"Importing {safe(path.name)}", total=None)
            bar.advance(tasks[path], n)

        reports = api.import_files(
            paths, chosen, rejects, force=force, on_progress=advance,
            on_report=None if as_json else functools.partial(_print_report, notes=set()),
        )
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in reports]))
    if any(r.rejected for r in reports):
        raise typer.Exit(1)


def _print_report(report: ImportReport, notes: set[str] | None = None) -> None:
    if report.note and (notes is None or report.note not in notes):
        err.print(f"note: {safe(report.note)}")
        if notes is not None:
            notes.add(report.note)
    new = ", ".join(f"{count:,} {kind if count != 1 else kind.removesuffix('s')}"
                    for kind, count in report.new.items() if count)
    console.print(
        f"[bold]{safe(report.path)}[/] ({safe(report.format)}): {report.read:,} row{'' if report.read == 1 else 's'} read; "
        f"new: {new or 'nothing'}; {report.duplicates:,} already stored; "
        f"[{'red' if report.rejected else 'green'}]{report.rejected:,} rejected[/]"
    )
    for reject in report.first_rejects[:10]:
        err.print(f"  line {reject['line']}: {safe(reject['error'])}")
    if report.rejected:
        err.print(f"  all rejected rows (with their text) are in [bold]{safe(report.rejects_path or '')}[/]")


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """What the store holds: accounts, posts, comments, reactions, polls, experiments, per platform."""
    api = open_api(ctx)
    counts = api.status()
    if as_json:
        console.print_json(json.dumps({"database": api.store.url, **counts}))
        return
    console.print(f"Database: [bold]{safe(api.store.url)}[/]")
    table = Table("platform", "accounts", "posts", "comments", "reactions", "polls")
    for platform, numbers in counts["platforms"].items():
        table.add_row(
            cell(platform), *(f"{numbers.get(k, 0):,}" for k in ("accounts", "posts", "comments", "reactions", "polls"))
        )
    table.add_row(
        "[bold]all[/]", *(f"[bold]{counts[k]:,}[/]" for k in ("accounts", "posts", "comments", "reactions", "polls"))
    )
    console.print(table)
    console.print(
        f"questions: {counts['questions']:,}   experiments: {counts['experiments']:,}   decisions: {counts['decisions']:,}"
    )
    if counts.get("sync_errors"):
        console.print(f"[yellow]The last sync of {counts['sync_errors']:,} account(s) stopped with an error: "
                      "see `sounding accounts`.[/]")


def demo(
    ctx: typer.Context,
    fresh: Annotated[bool, typer.Option(help="Start from an empty demo database.")] = True,
) -> None:
    """Import the bundled sample community into a fresh SQLite file and show what it tells us."""
    db = demo_database((ctx.find_root().obj or {}).get("db"), fresh)
    api = Sounding(db)
    console.rule(f"[bold]{TITLE}")
    with progress() as bar:
        task = bar.add_task("Importing the sample", total=None)
        report = api.import_sample(on_progress=lambda n: bar.advance(task, n))
    _print_report(report)
    with progress() as bar:
        task = bar.add_task("Analysing comments (offline models)", total=api.pending_analysis())
        api.analyze(on_progress=lambda _step, n: bar.advance(task, n))
    show_summary(api)
    console.print(f"\nDemo database: [bold]{safe(api.store.url)}[/]  (explore it with --db {safe(db)})")


def show_summary(api: Sounding, limit: int = 5) -> None:
    """Counts, the top lessons, themes with quotes, the most-discussed threads, unanswered questions."""
    from sounding.commands import analysis

    counts = api.status()
    console.print(
        f"\n[bold]{counts['posts']:,}[/] posts, [bold]{counts['comments']:,}[/] comments, "
        f"{len(counts['platforms'])} platform(s)"
    )
    if api.analysed:
        console.rule("[bold]Top lessons[/] (distinct people first, then intent, sentiment, trend)")
        analysis.print_lessons(api.lessons().head(limit))
        console.rule("[bold]Themes[/] with representative quotes")
        themes = api.themes()
        analysis.print_themes(themes.head(limit), themes.attrs.get("unclustered", 0))
    threads = api.most_discussed(limit)
    table = Table(title="Most-discussed threads (distinct people, then comments)", show_lines=False)
    for column in ("people", "comments", "our_replies", "text"):
        table.add_column(column, overflow="fold")
    for row in threads.itertuples():
        table.add_row(str(row.people), str(row.comments), str(row.our_replies), analysis.short(row.text, 90))
    console.print(table)
    questions = api.unanswered_questions()
    rule = "the intent model" if api.analysed else "a question mark (run `sounding analyze` for the intent model)"
    console.rule(f"[bold]{len(questions):,} questions nobody answered[/] (question = {rule}); oldest first")
    analysis.print_questions(questions.head(limit))


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command()(status)
    app.command()(demo)

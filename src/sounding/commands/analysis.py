"""Analysis commands: ``analyze``, ``lessons``, ``themes``, ``questions``, ``comments``, ``learning``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sounding.commands import open_api
from sounding.errors import UsageError
from sounding.terminal import safe

console = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON array (field names in the README).")]
Limit = Annotated[int, typer.Option("--limit", "-n", help="How many rows to show (0 = all).")]


def frame_json(frame: pd.DataFrame) -> str:
    """Records with ISO times and no NaN (missing values become null)."""
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def short(text: object, width: int = 100) -> str:
    text = " ".join(str(text).split())
    return escape(text if len(text) <= width else text[: width - 1] + "…")


def analyze(
    ctx: typer.Context,
    mode: Annotated[str, typer.Option(help="quality (MiniLM, 128 tokens) or fast (64 tokens).")] = "quality",
    as_json: JsonFlag = False,
) -> None:
    """Classify every new audience comment, update themes and lessons (incremental: only new texts)."""
    api = open_api(ctx)
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed:,} texts"),
        TimeElapsedColumn(), console=err, transient=True,
    ) as bar:
        pending = api.pending_analysis(mode)
        task = bar.add_task("Analysing comments", total=pending or None)
        report = api.analyze(mode=mode, on_progress=lambda _step, n: bar.advance(task, n))
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    console.print(
        f"analysed {report.enriched:,} new texts; {report.themed:,} joined themes ({report.new_themes} new), "
        f"{report.unclustered:,} unclustered; {report.lessons} lessons  [dim]{report.seconds}[/]"
    )


def lessons(ctx: typer.Context, limit: Limit = 10, as_json: JsonFlag = False) -> None:
    """Lessons ranked by evidence: distinct people first, then intent, sentiment and trend."""
    frame = open_api(ctx).lessons(quotes=True)
    frame = frame.head(limit) if limit else frame
    if as_json:
        typer.echo(frame_json(frame))
        return
    print_lessons(frame)


def print_lessons(frame: pd.DataFrame) -> None:
    if frame.empty:
        console.print("No lessons yet: run [bold]sounding analyze[/].")
        return
    for row in frame.itertuples():
        console.print(f"[bold]{row.rank}. {escape(row.title)}[/]  [dim](score {row.score:.1f}, theme {row.theme})[/]")
        for quote in row.quotes:
            console.print(f"     “{short(quote['text'], 120)}”  [dim]{escape(str(quote['thread']))}[/]")


def themes(ctx: typer.Context, limit: Limit = 15, as_json: JsonFlag = False) -> None:
    """Recurring themes with distinctive words and three representative quotes each."""
    frame = open_api(ctx).themes()
    unclustered = frame.attrs.get("unclustered", 0)
    frame = frame.head(limit) if limit else frame
    if as_json:
        typer.echo(frame_json(frame))
        return
    print_themes(frame, unclustered)


def print_themes(frame: pd.DataFrame, unclustered: int) -> None:
    table = Table("theme", "name", "people", "comments", "words / quotes", show_lines=True)
    for row in frame.itertuples():
        quotes = "\n".join(f"“{short(q['text'], 90)}”" for q in row.quotes)
        table.add_row(row.theme, escape(row.name), str(row.people), str(row.comments),
                      f"[dim]{escape(', '.join(row.top_words[:8]))}[/]\n{quotes}")
    console.print(table)
    console.print(f"[dim]{unclustered:,} texts are unclustered (near no theme).[/]")


def _duration(value: str | None, option: str) -> timedelta | None:
    if value is None:
        return None
    try:
        delta = pd.Timedelta(value.strip())
    except ValueError:
        delta = None
    if delta is None or pd.isna(delta) or delta < pd.Timedelta(0):
        raise UsageError(f"{option} takes a duration such as 30m, 6h, 2d or 1w")
    return delta.to_pytimedelta()


def questions(
    ctx: typer.Context,
    platform: Annotated[list[str] | None, typer.Option(help="Only this platform (repeatable).")] = None,
    older_than: Annotated[str | None, typer.Option(help="Only questions older than this (30m, 6h, 2d, 1w).")] = None,
    newer_than: Annotated[str | None, typer.Option(help="Only questions newer than this (30m, 6h, 2d, 1w).")] = None,
    limit: Limit = 20,
    as_json: JsonFlag = False,
) -> None:
    """The questions inbox: genuine questions to us that no reply of ours answers, oldest first."""
    frame = open_api(ctx).unanswered_questions(
        platform=platform or None, older_than=_duration(older_than, "--older-than"),
        newer_than=_duration(newer_than, "--newer-than"))
    total = len(frame)
    frame = frame.head(limit) if limit else frame
    if as_json:
        typer.echo(frame_json(frame))
        return
    print_questions(frame)
    if total > len(frame):
        console.print(f"[dim]{len(frame)} of {total} shown (--limit 0 for all)[/]")


def print_questions(frame: pd.DataFrame) -> None:
    """One entry per question: age, platform, who to answer, the text, and where to answer it."""
    for row in frame.itertuples():
        handle = row.handle if pd.notna(row.handle) else None
        who = row.author if handle is None else handle if handle.startswith("@") else f"@{handle}"
        console.print(f"[dim]{safe(f'{row.age} ago  {row.platform}  {who}', newlines=False)}[/]  “{short(row.text, 140)}”")
        link = row.url if pd.notna(row.url) else f"(no link) {row.kind} {row.id}"
        console.print(f"    [dim]{safe(link, newlines=False)}[/]")


def comments(ctx: typer.Context, limit: Limit = 50, as_json: JsonFlag = False) -> None:
    """Every audience comment with its import id, text, sentiment, intent, language and theme."""
    frame = open_api(ctx).comments(limit=limit or None)
    if as_json:
        typer.echo(frame_json(frame))
        return
    table = Table("id", "sentiment", "intent", "lang", "theme", "text")
    for row in frame.itertuples():
        table.add_row(escape(str(row.id)), str(row.sentiment), str(row.intent), str(row.language), str(row.theme),
                      short(row.text, 80))
    console.print(table)


def learning(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="post or week")] = "post",
    limit: Limit = 15,
    as_json: JsonFlag = False,
) -> None:
    """Learning value per post (or week): what the audience taught us, beside likes and shares."""
    frame = open_api(ctx).learning_value(by=by)
    frame = frame.head(limit) if limit else frame
    if as_json:
        typer.echo(frame_json(frame))
        return
    if by == "week":
        table = Table("week", "learning value", "people (substantive)", "questions", "new themes", "items")
        for row in frame.itertuples():
            table.add_row(str(row.week), str(row.learning_value), str(row.substantive_people), str(row.questions),
                          str(row.new_themes), str(row.items))
    else:
        table = Table("post", "learning value", "people", "questions", "new themes", "likes", "reposts", "text")
        for row in frame.itertuples():
            table.add_row(escape(str(row.post_id)), str(row.learning_value), str(row.substantive_people),
                          str(row.questions), str(row.new_themes), _count(row.likes), _count(row.reposts),
                          short(row.text, 60))
    console.print(table)


def _count(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{int(value):,}"


def register(app: typer.Typer) -> None:
    for command in (analyze, lessons, themes, questions, comments, learning):
        app.command()(command)

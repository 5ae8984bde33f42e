"""Analysis commands: ``analyze``, ``lessons``, ``themes``, ``questions``, ``comments``, ``learning``."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from sounding.commands import open_api
from sounding.errors import UsageError
from sounding.terminal import safe

if TYPE_CHECKING:  # pandas loads with the first command that shows a frame, not with every command
    import pandas as pd

console = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON array (field names in the README).")]
Limit = Annotated[int, typer.Option("--limit", "-n", help="How many rows to show (0 = all).")]


def frame_json(frame: pd.DataFrame) -> str:
    """Records with ISO times and no NaN (missing values become null)."""
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def short(text: object, width: int = 100) -> str:
    """Untrusted text on one line, at most ``width`` characters, safe for the terminal and rich markup."""
    text = " ".join(str(text).split())
    return safe(text if len(text) <= width else text[: width - 1] + "…", newlines=False)


def id_column(header: str, values) -> Column:
    """A column of ids printed in full (copy them into the next command), folded if space runs out."""
    width = max([len(header), *(len(str(v)) for v in values)])
    return Column(header, no_wrap=True, min_width=width, overflow="fold")


def analyze(
    ctx: typer.Context,
    mode: Annotated[str, typer.Option(help="quality (MiniLM, 128 tokens) or fast (64 tokens).")] = "quality",
    as_json: Annotated[bool, typer.Option("--json", help=(
        "Print the report as one JSON object: version, enriched, themed, new_themes, unclustered, lessons, "
        "seconds (enrich, themes, lessons)."))] = False,
    engine: Annotated[str, typer.Option(help=(
        "local (this process) or ray (a Ray cluster; needs the ray extra). Same results either way."))] = "local",
    address: Annotated[str | None, typer.Option(help=(
        "With --engine ray: the cluster (auto, or ray://HOST:10001); default: a local cluster on this machine."))] = None,
) -> None:
    """Classify every new audience comment, update themes and lessons (incremental: only new texts)."""
    api = open_api(ctx)
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed:,} texts"),
        TimeElapsedColumn(), console=err, transient=True,
    ) as bar:
        pending = api.pending_analysis(mode)
        task = bar.add_task("Analysing comments", total=pending or None)
        report = api.analyze(mode=mode, on_progress=lambda _step, n: bar.advance(task, n), engine=engine,
                             address=address)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    print_report(report)


def print_report(report) -> None:
    seconds = report.seconds
    total = sum(seconds.values())
    if not report.enriched and not report.themed:
        console.print(f"Nothing new to analyse: every audience text is analysed with {safe(report.version)}.")
    else:
        console.print(f"Analysed [bold]{report.enriched:,}[/] new texts in {total:.1f} s "
                      f"(models {seconds.get('enrich', 0):.1f} s, themes {seconds.get('themes', 0):.1f} s, "
                      f"lessons {seconds.get('lessons', 0):.1f} s).")
        console.print(f"  {report.themed:,} joined themes ({report.new_themes:,} new themes), "
                      f"{report.unclustered:,} unclustered (near no recurring topic).")
        console.print(f"  {report.lessons:,} lessons.")
    console.print("[dim]Next: sounding lessons · sounding themes · sounding questions · sounding comments --theme ID[/]")


def lessons(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many lessons (per segment with --by; 0 = all).")] = 10,
    by: Annotated[str | None, typer.Option(
        "--by", help="Rank lessons within each segment: platform, returning (first-time vs returning) or post.")] = None,
    segments: Annotated[int, typer.Option(help="With --by: how many segments, largest first (0 = all).")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Lessons ranked by evidence: distinct people first, then intent, sentiment and trend."""
    api = open_api(ctx)
    if by is not None:
        frame = api.lessons(by=by, per_segment=limit or None, segments=segments or None)
        if as_json:
            typer.echo(frame_json(frame))
            return
        print_segments(frame, by)
        return
    frame = api.lessons(quotes=True)
    frame = frame.head(limit) if limit else frame
    if as_json:
        typer.echo(frame_json(frame))
        return
    print_lessons(frame)


def print_lessons(frame: pd.DataFrame) -> None:
    if frame.empty:
        console.print(escape(frame.attrs.get("why_empty") or "No lessons yet: run sounding analyze."))
        return
    for row in frame.itertuples():
        console.print(f"[bold]{row.rank}. {safe(row.title)}[/]")
        console.print(f"   [dim]lesson {row.lesson} · theme {safe(row.theme)} · score {row.score:.1f}[/]")
        for quote in row.quotes:
            console.print(f"     “{short(quote['text'], 120)}”  [dim]{safe(quote['thread'])}[/]")


def print_segments(frame: pd.DataFrame, by: str) -> None:
    if frame.empty:
        console.print("No lessons yet: run [bold]sounding analyze[/].")
        return
    for segment, group in frame.groupby("segment", sort=False):
        first = group.iloc[0]
        about = f"  “{short(first['post_text'], 70)}”" if by == "post" else ""
        console.rule(f"[bold]{safe(segment)}[/]  {_people(int(first['segment_people']))}{about}", align="left")
        for row in group.itertuples():
            console.print(
                f"{row.rank}. [bold]{safe(row.name)}[/]: {_people(row.people)} here ({row.share:.0%} of this "
                f"lesson's people), {row.comments:,} comment{'' if row.comments == 1 else 's'}, "
                f"mostly {row.dominant_intent}"
            )
            console.print(f"   [dim]lesson {row.lesson} · theme {safe(row.theme)} · score here {row.score:.1f}[/]")


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


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
    table = Table(id_column("theme", frame["theme"]), Column("name", ratio=1, overflow="fold"), "people", "comments",
                  Column("words / quotes", ratio=3, overflow="fold"), show_lines=True, expand=True)
    for row in frame.itertuples():
        quotes = "\n".join(f"“{short(q['text'], 90)}”" for q in row.quotes)
        table.add_row(safe(row.theme), safe(row.name), str(row.people), str(row.comments),
                      f"[dim]{safe(', '.join(row.top_words[:8]))}[/]\n{quotes}")
    console.print(table)
    console.print(f"[dim]{unclustered:,} texts are unclustered (near no theme).[/]")


def _duration(value: str | None, option: str) -> timedelta | None:
    """``30m``, ``6h``, ``2d``, ``1w`` (or pandas' longer forms) as a timedelta.

    pandas deprecates the lower-case day and week units the help shows, so they are upper-cased first.
    """
    if value is None:
        return None
    import pandas as pd

    text = re.sub(r"(\d)\s*([dw])(?![a-z])", lambda m: m.group(1) + m.group(2).upper(), value.strip(), flags=re.I)
    try:
        delta = pd.Timedelta(text)
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
    import pandas as pd

    for row in frame.itertuples():
        handle = row.handle if pd.notna(row.handle) else None
        who = row.author if handle is None else handle if handle.startswith("@") else f"@{handle}"
        console.print(f"[dim]{safe(f'{row.age} ago  {row.platform}  {who}', newlines=False)}[/]  “{short(row.text, 140)}”")
        link = row.url if pd.notna(row.url) else f"(no link) {row.kind} {row.id}"
        console.print(f"    [dim]{safe(link, newlines=False)}[/]")


def comments(
    ctx: typer.Context,
    theme: Annotated[str | None, typer.Option(help="A theme id (see `sounding themes`), or 'unclustered'.")] = None,
    lesson: Annotated[str | None, typer.Option(help="A lesson id (see `sounding lessons`): its theme's comments.")] = None,
    intent: Annotated[list[str] | None, typer.Option(
        help="question, suggestion, problem, praise or other (repeat or comma-separate for several).")] = None,
    sentiment: Annotated[list[str] | None, typer.Option(help="negative, neutral or positive (repeatable).")] = None,
    post: Annotated[str | None, typer.Option(help="One thread: store id, platform:platform_id or URL.")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="Only this platform (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="From this date/time (2026-03-01, 2026-03-01T09:30) or age (7d).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (inclusive), time or age (12h).")] = None,
    search: Annotated[str | None, typer.Option(help="Only texts containing this (case-insensitive).")] = None,
    after: Annotated[str | None, typer.Option(help="The page cursor printed after the previous page.")] = None,
    newest: Annotated[bool, typer.Option("--newest", help="Newest first (default: oldest first).")] = False,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """Audience comments, oldest first, filtered by theme, lesson, intent, sentiment, post, platform, time, text."""
    frame = open_api(ctx).comments(
        theme=theme, lesson=lesson, intent=intent, sentiment=sentiment, post=post, platform=platform, since=since,
        until=until, search=search, limit=limit or None, after=after, newest=newest,
    )
    cursor = frame.attrs.get("next")
    if as_json:
        typer.echo(frame_json(frame))
        if cursor:
            err.print(f"more: --after {cursor}", highlight=False)
        return
    if frame.empty:
        console.print("No comments match.")
        return
    import pandas as pd

    for row in frame.itertuples():  # two lines each: ids in full on the first, the text folded below
        console.print(
            f"[dim]{pd.Timestamp(row.created_at):%Y-%m-%d %H:%M}[/] {safe(row.platform)} [bold]{safe(row.id)}[/]"
            f"  {row.sentiment or '-'} · {row.intent or '-'}  theme {safe(row.theme or 'unclustered')}"
            f"  [dim]post {safe(row.post)}[/]",
            highlight=False, overflow="fold",
        )
        console.print(f"    {safe(' '.join(str(row.text).split()), newlines=False)}", highlight=False, overflow="fold")
    if cursor:
        console.print(f"[dim]{len(frame):,} shown; next page: --after {cursor}[/]", highlight=False)


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
        table = Table("week", "learning value", "people (substantive)", "questions", "themes", "theme share", "items")
        for row in frame.itertuples():
            table.add_row(str(row.week), f"{row.learning_value:.2f}", str(row.substantive_people), str(row.questions),
                          str(row.themes), f"{row.theme_share:.2f}", str(row.items))
    else:
        refs = [f"{p}:{i}" for p, i in zip(frame["platform"], frame["post_id"])]
        reactions = frame[["likes", "reposts"]].notna().any().any()  # imports without counts: no empty columns
        table = Table(id_column("post", refs), "value", "people", "questions", "themes",
                      *(("likes", "reposts") if reactions else ()), Column("text", ratio=1, overflow="fold"))
        for ref, row in zip(refs, frame.itertuples()):
            counts = (_count(row.likes), _count(row.reposts)) if reactions else ()
            table.add_row(safe(ref), f"{row.learning_value:.2f}", str(row.substantive_people), str(row.questions),
                          str(row.themes), *counts, short(row.text, 80))
    console.print(table)


def _count(value) -> str:
    import pandas as pd

    return "–" if value is None or pd.isna(value) else f"{int(value):,}"


def register(app: typer.Typer) -> None:
    for command in (analyze, lessons, themes, questions, comments, learning):
        app.command()(command)

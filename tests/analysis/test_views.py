"""What the analysis commands print: readable summaries, ids in full, untrusted text made harmless."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from labelled_store import label
from rich.console import Console
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.commands import analysis
from sounding.records import CommentRecord, PostRecord

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LONG_THEME = "theme-0123456789abcdef0123"
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred[/] [bold]loud[/bold] \u202eevil"


@pytest.fixture
def api(sqlite_store):
    records = [PostRecord("mastodon", "p1", "brand", "Tell us anything", T0, ours=True)]
    texts = ["The checkout page keeps timing out", "Checkout froze twice tonight", "checkout spinner forever",
             HOSTILE]
    records += [CommentRecord("mastodon", f"c{i}", "p1", f"person{i}", text, T0 + timedelta(hours=i))
                for i, text in enumerate(texts)]
    sqlite_store.write_records(records)
    label(sqlite_store, {"c0": ("problem", "negative", LONG_THEME), "c1": ("problem", "negative", LONG_THEME),
                         "c2": ("problem", "negative", LONG_THEME), "c3": ("other", "neutral", LONG_THEME)})
    return Sounding(store=sqlite_store)


@pytest.fixture
def narrow(monkeypatch):
    console = Console(width=60, record=True, force_terminal=False)
    monkeypatch.setattr(analysis, "console", console)
    return console


def test_theme_ids_print_in_full_even_on_a_narrow_terminal(api, narrow):
    themes = api.themes()
    analysis.print_themes(themes, themes.attrs["unclustered"])
    analysis.print_lessons(api.lessons())
    out = narrow.export_text()
    assert out.count(LONG_THEME) == 2  # the themes table and the lesson line, never cut with "…"
    lesson = int(api.lessons()["lesson"].iloc[0])
    assert f"lesson {lesson} · theme {LONG_THEME}" in out


def test_untrusted_text_reaches_the_terminal_harmless(api, narrow):
    runner = CliRunner()
    shown = runner.invoke(app, ["--db", api.store.url, "comments", "--search", "loud"], catch_exceptions=False)
    assert shown.exit_code == 0
    assert "\x1b" not in shown.output and "\x07" not in shown.output and "\u202e" not in shown.output
    assert "\\x1b]0;pwned\\x07" in shown.output  # shown, visibly escaped
    assert "[bold]loud[/bold]" in shown.output  # markup printed as text, not applied
    analysis.print_lessons(api.lessons())
    assert "\x1b" not in narrow.export_text()


def test_learning_table_names_posts_as_other_commands_take_them(api):
    shown = CliRunner().invoke(app, ["--db", api.store.url, "learning"], catch_exceptions=False)
    assert "mastodon:p1" in shown.output
    assert "likes" not in shown.output  # no reaction counts imported: no empty columns


def test_analyze_prints_a_readable_summary_and_json_as_its_help_says(tmp_path):
    db = ["--db", str(tmp_path / "a.db")]
    api = Sounding(str(tmp_path / "a.db"))
    api.store.write_records([PostRecord("mastodon", "p", "brand", "Hi?", T0, ours=True)] + [
        CommentRecord("mastodon", f"c{i}", "p", f"u{i}", text, T0)
        for i, text in enumerate(["Love the app", "The app crashes on login", "Where do I reset my password?"])
    ])
    api.close()
    runner = CliRunner()
    shown = runner.invoke(app, [*db, "analyze"], catch_exceptions=False)
    assert shown.exit_code == 0
    assert re.search(r"Analysed 3 new texts in [\d.]+ s", shown.output), shown.output
    assert "{" not in shown.output and "lessons" in shown.output
    again = runner.invoke(app, [*db, "analyze", "--json"], catch_exceptions=False)
    report = json.loads(again.stdout)
    help_text = " ".join(runner.invoke(app, ["analyze", "--help"]).output.replace("│", " ").split())
    listed = re.search(r"JSON object: ([^.]*)\.", help_text).group(1)
    assert set(report) == {name.strip() for name in re.sub(r"\(.*?\)", "", listed).split(",")}
    assert set(report["seconds"]) == {"enrich", "themes", "lessons"}
    assert report["enriched"] == 0  # nothing new the second time
    assert "Nothing new to analyse" in runner.invoke(app, [*db, "analyze"]).output

"""`sounding report --format pdf`: a real PDF printed by headless Chromium, with the loop's words in it;
without Chromium, one clear line and no file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sounding.cli import app

CHROMIUM = "/usr/bin/chromium"


pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # one store: the PDF is the same


@pytest.fixture
def loop(community, store_url):
    """The community with a shipped decision on its dark-mode lesson."""
    api, _ = community
    frame = api.lessons(quotes=False)
    lesson = int(frame.loc[frame["title"].str.contains("dark mode"), "lesson"].iloc[0])
    d = api.act.decide("Add a night theme", lessons=[lesson], author="pm@brand")
    api.act.set_status(d["id"], "shipped", author="pm@brand", note="Settings then Display")
    return store_url


def _report(store_url: str, out: Path, since: str = "2026-01-01"):
    return CliRunner().invoke(app, ["--db", store_url, "report", "--format", "pdf", "--out", str(out),
                                    "--since", since])


def test_the_pdf_is_a_real_pdf_with_the_loop_in_it(loop, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("SOUNDING_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"SOUNDING_REQUIRE_CHROMIUM=1 but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from pypdf import PdfReader

    out = tmp_path / "loop.pdf"
    result = _report(loop, out)
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(out)
    assert 1 <= len(reader.pages) <= 3
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for words in ("What we learned and did", "What we asked", "What we tested", "What we decided",
                  "Whom we told", "What changed", "Add a night theme", "dark mode", "Settings then Display"):
        assert words in text, (words, text[:2000])
    assert "for 4 people in 2 threads" in text  # the decision: ana (twice), ben, cleo, dev; two threads


def test_without_chromium_one_clear_line_and_no_file(loop, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no chromium on the PATH
    out = tmp_path / "loop.pdf"
    result = _report(loop, out)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Chromium" in lines[0] and "Traceback" not in result.output, result.output
    assert not out.exists()

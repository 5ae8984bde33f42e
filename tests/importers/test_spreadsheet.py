"""``sounding import FILE --map …`` / ``--preset``: comment spreadsheets in any column layout."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from sounding.cli import app
from sounding.importers import FORMATS
from sounding.importers.spreadsheet import Sheet, mapping_for, parse_map
from sounding.errors import InputError, UsageError

from importer_helpers import latest_counts

runner = CliRunner()

# A German marketer's CSV: semicolons, a BOM, day-first dates, a multi-line comment, K-suffixed
# counts, a reply column holding the parent comment's id, and five bad rows.
CSV = (
    "\ufeffKommentar-ID;Verfasser;Datum;Kommentar;Gefällt mir;Antwort auf\n"  # line 1
    "k1;anna.b;31.10.2026 14:05;Wann kommt die Größe XL wieder?;1.2K;\n"  # 2
    "k2;brand.studio;31.10.2026 15:00;\"Nächste Woche!\nDanke fürs Fragen.\";3;k1\n"  # 3-4
    "k3;carl;01.11.2026 09:30;Versand dauert zu lange;1,234;\n"  # 5
    "k4;dora;gestern;Super Qualität;2;\n"  # 6: bad date
    "k5;;02.11.2026 10:00;ohne Namen;0;\n"  # 7: no author
    "k6;emil;02.11.2026 11:00;Tolle Farben;viele;\n"  # 8: not a count
    "k7;fritz;02.11.2026 12:00;Antwort ins Leere;0;k99\n"  # 9: unknown parent
    "k8;gina;03.11.2026 08:00;Mehr davon;5;k3\n"  # 10
    ";;;;;\n"  # 11: blank, skipped
    "k9;hans;13.13.2026 08:00;kaputtes Datum;5;\n"  # 12: month 13
)
CSV_MAP = "id=Kommentar-ID,author=Verfasser,created_at=Datum,text=Kommentar,likes=Gefällt mir,reply_to=Antwort auf"


def run(db: Path, *args: str):
    return runner.invoke(app, ["--db", str(db), *args])


def comments(db: Path) -> dict[str, tuple]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select c.platform_id, c.text, c.created_at, p.platform_id, c.ours, c.platform, "
            "(select platform_id from comments x where x.id = c.parent_comment_id) "
            "from comments c join posts p on p.id = c.post_id"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def likes(db: Path, target: str) -> int | None:
    counts = latest_counts(db, target)
    return counts[0] if counts else None


def test_csv_with_unusual_headers_own_dates_and_a_reply_column(tmp_path):
    path = tmp_path / "kommentare.csv"
    path.write_text(CSV, encoding="utf-8")
    db = tmp_path / "s.db"
    result = run(db, "import", str(path), "--map", CSV_MAP, "--platform", "instagram",
                 "--post", "https://www.instagram.com/p/ABC0/", "--ours", "brand.studio", "--json")
    assert result.exit_code == 1, result.output  # rows were rejected
    report = json.loads(result.stdout)[0]
    assert report["format"] == "sheet"
    assert "sheet-map" not in FORMATS  # the mapping travels with the import, no format is registered
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (1, 4, 5)
    assert {r["line"]: r["error"] for r in report["first_rejects"]} == {
        6: "cannot read the date 'gestern' (DMY order)",
        7: "no author",
        8: "likes is not a count: 'viele'",
        9: "unknown parent 'k99'",
        12: "cannot read the date '13.13.2026 08:00' (DMY order)",
    }
    rejects = [json.loads(x) for x in Path(report["rejects_path"]).read_text().splitlines()]
    assert any("Super Qualität" in r["raw"] for r in rejects)

    rows = comments(db)
    post = "https://www.instagram.com/p/ABC0/"
    assert rows["k1"][:4] == ("Wann kommt die Größe XL wieder?", "2026-10-31 14:05:00.000000", post, 0)
    assert rows["k2"][0] == "Nächste Woche!\nDanke fürs Fragen." and rows["k2"][3] == 1  # ours
    assert rows["k2"][5] == "k1" and rows["k1"][5] is None  # the reply hangs from k1
    assert rows["k8"][5] == "k3" and rows["k3"][1].startswith("2026-11-01 09:30")
    assert {r[4] for r in rows.values()} == {"instagram"}
    assert (likes(db, "k1"), likes(db, "k3")) == (1200, 1234)

    again = run(db, "import", str(path), "--map", CSV_MAP, "--platform", "instagram",
                "--post", "https://www.instagram.com/p/ABC0/", "--json")
    assert json.loads(again.stdout)[0]["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["nothing to see here"])
    data = book.create_sheet("Comments")
    data.append(["Export of comments, November 2026"])  # row 1: a title
    data.append([])  # row 2
    data.append(["#", "Commenter", "When (local)", "What they said", "👍", "In reply to #", "Video"])  # row 3
    data.append([101, "ann", datetime(2026, 11, 2, 9, 15), "Can you do a tutorial?", 4, None, "v1"])  # 4
    data.append([102, "BrandHQ", 46328.5, "Yes, on Friday!", 0, 101, "v1"])  # 5: Excel serial date
    data.append([103, "bob", "11/03/2026 2:30 PM", "The strap broke", "12", None, "v2"])  # 6: US text date
    data.append([104, "cy", "someday", "When?", 1, None, "v2"])  # 7: bad
    data.append([105, "dee", "11/04/2026 8:00 AM", "Same here", None, 103, "v2"])  # 8
    data.append([106, "eve", "11/05/2026", "x", -3, None, "v2"])  # 9: negative
    book.save(path)


def test_xlsx_with_a_title_row_excel_dates_and_replies(tmp_path):
    path = tmp_path / "export.xlsx"
    _workbook(path)
    db = tmp_path / "s.db"
    spec = "id=#,author=Commenter,created_at=When (local),text=What they said,likes=👍,reply_to=In reply to #,post=Video,sheet=Comments"
    result = run(db, "import", str(path), "--map", spec, "--platform", "youtube", "--ours", "BrandHQ", "--json")
    report = json.loads(result.stdout)[0]
    assert (report["new"]["posts"], report["new"]["comments"], report["rejected"]) == (2, 4, 2)
    assert {r["line"]: r["error"] for r in report["first_rejects"]} == {
        7: "cannot read the date 'someday' (MDY order)",
        9: "likes is negative",
    }
    rows = comments(db)
    assert rows["101"][:4] == ("Can you do a tutorial?", "2026-11-02 09:15:00.000000", "v1", 0)
    assert rows["102"][1] == "2026-11-02 12:00:00.000000" and rows["102"][3] == 1  # serial 46328.5, ours
    assert rows["102"][5] == "101" and rows["105"][5] == "103"
    assert rows["103"][1] == "2026-11-03 14:30:00.000000" and rows["103"][2] == "v2"
    assert likes(db, "103") == 12


def test_a_header_that_fits_one_preset_is_recognised(tmp_path):
    path = tmp_path / "dataset_instagram-comments.csv"
    path.write_text(
        "id,postUrl,commentUrl,text,ownerUsername,ownerProfilePicUrl,timestamp,repliesCount,likesCount\n"
        "18011,https://www.instagram.com/p/C1/,https://www.instagram.com/p/C1/c/18011,love it,fan1,https://x/p.jpg,"
        "2026-11-01T10:00:00.000Z,0,32\n"
        "18012,https://www.instagram.com/p/C1/,,more pink please,fan2,,2026-11-01T11:00:00.000Z,1,0\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.db"
    report = json.loads(run(db, "import", str(path), "--json").stdout)[0]
    assert report["format"] == "sheet"
    assert report["new"]["comments"] == 2 and report["rejected"] == 0
    rows = comments(db)
    assert rows["18012"][2] == "https://www.instagram.com/p/C1/" and rows["18012"][4] == "instagram"
    assert likes(db, "18011") == 32


def test_tiktok_preset_treats_a_self_parent_as_top_level(tmp_path):
    path = tmp_path / "tiktok.csv"
    path.write_text(
        "commentId,content,publishedAt,likeCount,replyCount,replyLevel,parentCommentId,commentLanguage,authorUniqueId\n"
        "761,This is hilarious,2026-03-16T19:52:57.000Z,3998,1,0,761,en,khaby\n"
        "762,agreed,2026-03-16T20:00:00.000Z,5,0,1,761,en,zed\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.db"
    report = json.loads(run(db, "import", str(path), "--preset", "tiktok-comments", "--post", "7617", "--json").stdout)[0]
    assert report["new"]["comments"] == 2 and report["rejected"] == 0
    rows = comments(db)
    assert rows["761"][5] is None and rows["762"][5] == "761" and rows["761"][2] == "7617"


def test_mapping_mistakes_are_one_line_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="unknown field 'txt'"):
        parse_map("txt=Comment")
    with pytest.raises(UsageError, match="not FIELD=COLUMN"):
        parse_map("text")
    with pytest.raises(UsageError, match="unknown preset"):
        mapping_for(None, "nope", None, None, None)
    path = tmp_path / "c.csv"
    path.write_text("Comment,Name,Date\nhi,ann,2026-01-01\n")
    result = run(tmp_path / "s.db", "import", str(path), "--map", "text=Comment,author=Who,created_at=Date")
    assert result.exit_code == InputError.exit_code  # one line, no traceback
    assert "no header row with the columns 'Comment', 'Who', 'Date'" in result.output
    assert "Traceback" not in result.output
    bad_map = run(tmp_path / "s.db", "import", str(path), "--map", "txt=Comment")
    assert bad_map.exit_code == UsageError.exit_code and "unknown field 'txt'" in bad_map.output
    fmt = Sheet(mapping_for("text=Comment,author=Name,created_at=Date", None, None, None, None))
    [post, comment] = [r.record for r in fmt.rows(path)]
    assert post.id == "sheet:c.csv" and comment.parent_id == "sheet:c.csv"
    assert comment.created_at == datetime(2026, 1, 1, tzinfo=UTC) and comment.id.startswith("sheet-")


def test_windows_1252_csv_and_a_bad_byte_in_a_utf8_one(tmp_path):
    spec = "text=Comment,author=Name,created_at=Date"
    legacy = tmp_path / "excel.csv"
    legacy.write_bytes("Name,Date,Comment\nRené,2026-11-02 10:00,Très bien – merci\n".encode("cp1252"))
    db = tmp_path / "s.db"
    report = json.loads(run(db, "import", str(legacy), "--map", spec, "--json").stdout)[0]
    assert report["new"]["comments"] == 1 and report["rejected"] == 0
    assert [r[0] for r in comments(db).values()] == ["Très bien – merci"]

    broken = tmp_path / "broken.csv"  # the bad byte lies beyond the 64 KB read to choose the encoding
    broken.write_bytes(b"Name,Date,Comment\nann,2026-11-02 10:00,fine\n" + b"carl,2026-11-02," + b"x" * 70_000 + b"\n"
                       b"bob,2026-11-02 11:00,caf\xe9\n")
    report = json.loads(run(db, "import", str(broken), "--map", spec, "--json").stdout)[0]
    assert report["new"]["comments"] == 2 and report["first_rejects"] == [
        {"line": 4, "error": "line 4 is not valid UTF-8 (byte 24)"}
    ]


def test_a_comment_csv_without_map_is_one_line_naming_its_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Name,Posted on,Comment,Likes\nann,2026-11-02,When is XL back?,3\n", encoding="utf-8")
    result = run(tmp_path / "s.db", "import", str(path))
    assert result.exit_code == InputError.exit_code and "Traceback" not in result.output
    [line] = [x for x in result.output.splitlines() if x.strip()]
    assert line == (
        "error: export.csv is not a Sounding CSV (no column kind, platform, id, author, text, created_at); "
        "its columns are 'Name', 'Posted on', 'Comment', 'Likes'; map them with "
        "--map text=Comment,author=Name,created_at=Posted on (more fields in docs/sources.md) or use "
        "--preset apify-instagram-comments|instagram-comments-replies|tiktok-comments"
    )
    # the suggested mapping reads the file
    report = json.loads(run(tmp_path / "s.db", "import", str(path), "--map", "text=Comment,author=Name,"
                            "created_at=Posted on,likes=Likes", "--json").stdout)[0]
    assert report["new"]["comments"] == 1 and report["rejected"] == 0
    mixed = run(tmp_path / "s.db", "import", str(path), "--format", "jsonl", "--map", "text=Comment")
    assert mixed.exit_code == UsageError.exit_code and "drop --format jsonl" in mixed.output


def test_a_workbook_without_map_names_its_columns_too(tmp_path):
    path = tmp_path / "export.xlsx"
    book = Workbook()
    book.active.append(["Export of comments"])
    book.active.append(["User", "Message", "Timestamp"])
    book.active.append(["ann", "hi", datetime(2026, 11, 2, 9, 0)])
    book.save(path)
    result = run(tmp_path / "s.db", "import", str(path))
    assert result.exit_code == InputError.exit_code and "Traceback" not in result.output
    assert ("export.xlsx: not a known comment-export layout; its columns are 'User', 'Message', 'Timestamp'; "
            "map them with --map text=Message,author=User,created_at=Timestamp" in result.output)  # not the title

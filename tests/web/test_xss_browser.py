"""Comments are strangers' words: a corpus of XSS payloads imported as comments (and as a test and
poll options) never executes in Chromium, on the live pages or in the static report, and shows
literally. Every payload would set ``window.__pwned`` if it ran."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from web_helpers import serve
from sounding.api import Sounding

PAYLOADS = [
    "<script>window.__pwned=1</script> is this safe?",
    '<img src=x onerror="window.__pwned=2"> why?',
    '<svg onload="window.__pwned=3"><circle r=5 /></svg> svg?',
    '<a href="javascript:window.__pwned=4">click me</a> ok?',
    '"><script>window.__pwned=5</script> attribute break?',
    "'><img src=x onerror=window.__pwned=6> single quote?",
    "{{7*7}} ${7*7} {% if 1 %}jinja{% endif %} <%= 7*7 %> template?",
    '<iframe srcdoc="<script>parent.__pwned=7</script>"></iframe> frame?',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=8> mxss?",
    "</textarea><script>window.__pwned=9</script> textarea?",
    "</title><script>window.__pwned=10</script><b><i>unclosed markup?",
    '<div hx-get="/api/v1/comments" hx-trigger="load" hx-on::load="window.__pwned=11">htmx?</div>',
    '<body onload="window.__pwned=12"> <style>*{display:none}</style> body?',
    "javascript:window.__pwned=13 plain link text?",
    "<scr<script>ipt>window.__pwned=14</scr</script>ipt> nested?",
    "\u202eevil bidi\u202c and <!-- comment --> and &lt;script&gt; entities?",
]


@pytest.fixture(scope="module")
def xss_db(tmp_path_factory) -> str:
    base = tmp_path_factory.mktemp("xss")
    start = datetime(2024, 5, 1, tzinfo=UTC)
    lines = [{"kind": "post", "platform": "bluesky", "id": "p1", "author": "brand", "text": "Tell us anything <b>here</b>",
              "created_at": start.isoformat(), "ours": True, "url": "javascript:window.__pwned=20"}]
    for i, text in enumerate(PAYLOADS):
        lines.append({"kind": "comment", "platform": "bluesky", "id": f"c{i}", "parent_id": "p1",
                      "author": f"person-{i}", "text": text, "created_at": (start + timedelta(minutes=i + 1)).isoformat(),
                      "url": "javascript:window.__pwned=21"})
        lines.append({"kind": "post", "platform": "bluesky", "id": f"p-{i}", "author": f"other-{i}", "text": text,
                      "created_at": (start + timedelta(hours=i + 1)).isoformat()})
    path = base / "payloads.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    url = f"sqlite:///{base / 'xss.db'}"
    api = Sounding(url)
    assert api.import_file(path).rejected == 0
    api.analyze(mode="fast")
    from sounding.experiments import Proportion
    from sounding.experiments.stored import create_experiment, record_outcomes
    from sounding.records import PollRecord, PostRecord

    name = PAYLOADS[1]
    create_experiment(api.store, name, [PAYLOADS[0], PAYLOADS[4]], metric="replied")
    record_outcomes(api.store, name, [Proportion(PAYLOADS[0], 100, 10), Proportion(PAYLOADS[4], 100, 20)],
                    metric="replied")
    api.store.write_records([
        PostRecord(platform="mastodon", id="poll", author="brand", text=PAYLOADS[2], created_at=start, ours=True),
        PollRecord(platform="mastodon", post_id="poll", options=[PAYLOADS[3], PAYLOADS[5]], votes=[3, 4], taken_at=start),
    ])
    api.close()
    return url


PATHS = ["/", "/lessons", "/lessons?by=platform", "/lessons?by=returning", "/lessons?by=post", "/themes", "/comments", "/comments?limit=100", "/inbox", "/tests", "/polls", "/decisions", "/sync",
         "/thread?post=p1", "/thread?post=p-0", "/thread?post=poll"]


def _assert_inert(watched, body_must_show=()):
    page = watched.page
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("typeof parent.__pwned") == "undefined"
    body = page.inner_text("body")
    for text in body_must_show:
        assert text in body, f"not shown literally: {text!r}"
    assert page.locator("main script, main iframe, main svg[onload], main img[src=x]").count() == 0


def test_payloads_never_run_on_any_page_and_show_literally(xss_db, watched):
    with serve(xss_db) as site:
        for path in PATHS:
            watched.page.goto(site.url + path)
            _assert_inert(watched)
        watched.page.goto(site.url + "/thread?post=p1")
        _assert_inert(watched, [p.strip() for p in PAYLOADS if "\u202e" not in p])
        assert "\\u202eevil bidi" in watched.page.inner_text("main")  # the override is shown, not obeyed
        watched.shot("xss-thread")
        watched.page.goto(site.url + "/comments?limit=100&search=%3Cscript%3E")
        _assert_inert(watched, [PAYLOADS[0].strip()])
        watched.page.goto(site.url + "/tests")
        watched.page.click("a.test-link")
        _assert_inert(watched, [PAYLOADS[0].strip(), PAYLOADS[1].strip()])
        watched.page.goto(site.url + "/polls")
        _assert_inert(watched, [PAYLOADS[2].strip()[:60]])
        # the javascript: URLs of the records are never links
        assert watched.page.locator("a[href^='javascript']").count() == 0
        # the payloads the server sends back in API JSON are data, not markup
        response = watched.page.goto(site.url + "/api/v1/comments?post=p1")
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert watched.page.evaluate("typeof window.__pwned") == "undefined"
    assert watched.problems == []  # not even a CSP refusal: nothing was injected to refuse


def test_payloads_never_run_in_the_static_report(xss_db, watched, tmp_path):
    from sounding.web.report import write_report

    api = Sounding(xss_db)
    write_report(api, tmp_path / "report")
    api.close()
    pages = sorted((tmp_path / "report").glob("*.html"))
    assert len(pages) >= 10
    for path in pages:
        watched.page.goto(path.as_uri())
        _assert_inert(watched)
    watched.page.goto((tmp_path / "report" / "index.html").as_uri())
    watched.page.click("text=Inbox")
    watched.page.locator("a.to-thread").first.click()
    _assert_inert(watched, [PAYLOADS[0].strip()])
    assert watched.problems == []

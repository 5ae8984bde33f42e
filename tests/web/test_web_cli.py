"""``sounding serve``, ``report --html`` and ``token create`` as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from web_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, db: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "sounding.cli", "--db", db, *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_report_html_writes_linked_static_pages(demo_db, tmp_path):
    out = tmp_path / "report"
    done = _run("report", "--html", str(out), db=demo_db)
    assert done.returncode == 0, done.stderr
    names = {p.name for p in out.glob("*.html")}
    assert {"index.html", "lessons.html", "themes.html", "inbox.html", "tests.html", "polls.html", "sync.html"} <= names
    assert any(n.startswith("thread-") for n in names) and any(n.startswith("test-") for n in names)
    assert (out / "static" / "vendor" / "uPlot.iife.min.js").exists()
    for page in out.glob("*.html"):  # every link and asset is relative and exists
        html = page.read_text(encoding="utf-8")
        assert "http://" not in html.replace('xmlns="http://www.w3.org', "") and "https://" not in html
        for target in re.findall(r'(?:href|src)="([^"#?]+)', html):
            assert (out / target).exists(), (page.name, target)
        assert "<form" not in html  # a report is read, not worked in


def test_report_opens_offline_in_chromium_with_its_chart(demo_db, tmp_path, watched):
    out = tmp_path / "report"
    assert _run("report", "--html", str(out), db=demo_db).returncode == 0
    watched.page.goto((out / "index.html").as_uri())
    watched.page.locator(".timeseries canvas").wait_for()
    watched.page.click("nav >> text=Lessons")
    watched.page.locator("a.to-thread").first.click()
    assert "thread-" in watched.page.url
    watched.shot("report-thread")
    assert watched.problems == []


def test_token_create_prints_a_token_the_server_accepts(tmp_path):
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    made = _run("token", "create", "--scope", "read", "--expires", "1h", db=db)
    assert made.returncode == 0 and made.stdout.startswith("sdg_")
    bad = _run("token", "create", "--expires", "soon", db=db)
    assert bad.returncode == 2 and "expiry" in bad.stderr and "Traceback" not in bad.stderr

    from sounding.api import Sounding

    api = Sounding(db)
    assert api.tokens.scope(made.stdout.strip()) == "read"
    api.close()


def test_serve_off_loopback_prints_a_one_time_login_and_never_logs_it(demo_db, tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    with open(log, "w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "sounding.cli", "--db", demo_db, "serve", "--host", "0.0.0.0",
                                 "--port", str(port)], stdout=handle, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/static/app.css", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        printed = log.read_text()
        login = re.search(r"/-/login\?token=([\w-]+)", printed)
        assert login, printed
        assert httpx.get(base + "/").status_code == 401
        assert httpx.get(base + "/api/v1/lessons").status_code == 401
        with httpx.Client(base_url=base, follow_redirects=True) as browser:
            assert browser.get(f"/-/login?token={login.group(1)}").status_code == 200  # redirected to /
            assert browser.get("/lessons").status_code == 200
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    logged = log.read_text().split(login.group(0), 1)[1]  # everything after the start-up banner
    assert "GET /-/login?token=[redacted]" in logged and login.group(1) not in logged

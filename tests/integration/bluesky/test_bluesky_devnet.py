"""The Bluesky connector against a real AT Protocol network on loopback (see devnet_helpers.py)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from devnet_helpers import PASSWORD, ROOT, reply, thread_has, wait_indexed
from sqlalchemy import func, select

from sounding.connectors import AccountRef, PollItem, PostItem, ReplyItem, RetryPolicy, open_connector
from sounding.connectors.sync import run_connector
from sounding.store import Store, models
from sounding.store.reactions import series


def _connector(net, person, **attrs):
    c = open_connector(AccountRef("bluesky", person.handle, net.pds, PASSWORD), policy=RetryPolicy.fast())
    for k, v in attrs.items():
        setattr(c, k, v)
    return c


def test_question_thread_reactions_sync_then_nothing_new(bluesky_net, people, tmp_path):
    brand, ann, ben, cat = people("brand"), people("ann"), people("ben"), people("cat")
    q = brand.client.send_post(text="What should we build next?")
    a1 = reply(ann, q, q, "A dark mode")
    b1 = reply(ben, a1, q, "yes, dark mode!")
    c1 = reply(cat, b1, q, "and a black theme")
    brand1 = reply(brand, c1, q, "Noted, thanks all")
    deep = brand1
    chain = []
    for i in range(7):  # depth 5..11: deeper than one getPostThread call of depth 3
        deep = reply([ann, ben, cat][i % 3], deep, q, f"deeper {i}")
        chain.append(deep.uri)
    other = reply(cat, q, q, "offline mode")
    ann.client.like(q.uri, q.cid)
    ben.client.like(q.uri, q.cid)
    cat.client.repost(q.uri, q.cid)
    ann.client.like(a1.uri, a1.cid)
    wait_indexed(thread_has(brand, q.uri, 12))
    wait_indexed(lambda: brand.client.get_posts([q.uri]).posts[0].like_count == 2)

    store = Store.open(str(tmp_path / "bsky.db"))
    aid = store.upsert_account("bluesky", brand.handle, bluesky_net.pds, "file:bluesky")
    connector = _connector(bluesky_net, brand, thread_depth=3)
    result = run_connector(store, aid, connector)
    assert result.complete, result.error
    assert result.new["posts"] == 1 and result.new["comments"] == 12
    assert connector.queries > 1  # deeper branches were asked again

    with store.engine.connect() as conn:
        rows = {r.platform_id: r for r in conn.execute(select(models.Comment))}
        post = conn.execute(select(models.Post)).one()
        (snap,) = series(conn, None, q.uri)
        (a1_point,) = series(conn, None, a1.uri)
        a1_snap = a1_point.likes
    assert post.platform_id == q.uri and post.ours
    assert rows[a1.uri].parent_comment_id is None and rows[other.uri].parent_comment_id is None
    assert rows[b1.uri].parent_comment_id == rows[a1.uri].id
    assert rows[brand1.uri].ours and not rows[c1.uri].ours
    assert rows[chain[-1]].parent_comment_id == rows[chain[-2]].id
    assert (snap.likes, snap.reposts, snap.replies) == (2, 1, 2)
    assert a1_snap == 1

    again = run_connector(store, aid, _connector(bluesky_net, brand))
    assert again.complete and again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}

    # a new like and a new reply are picked up incrementally
    cat.client.like(q.uri, q.cid)
    late = reply(ben, other, q, "offline please")
    wait_indexed(thread_has(brand, q.uri, 13))
    wait_indexed(lambda: brand.client.get_posts([q.uri]).posts[0].like_count == 3)
    third = run_connector(store, aid, _connector(bluesky_net, brand))
    assert third.new["comments"] == 1 and third.new["reactions"] >= 1
    with store.engine.connect() as conn:
        assert conn.execute(
            select(models.Comment.id).where(models.Comment.platform_id == late.uri)
        ).scalar_one()
    store.close()


def test_publish_poll_and_variants_then_votes_are_counted(bluesky_net, people, tmp_path):
    brand, ann, ben, cat, dan = people("brand"), people("ann"), people("ben"), people("cat"), people("dan")
    connector = _connector(bluesky_net, brand)
    poll_uri, record_uri = connector.publish(PollItem("Tea or coffee?", ["tea", "coffee"], expires_in=3600))
    assert "/dev.sounding.poll/" in record_uri
    variant_a = connector.publish(PostItem("How do you use our app?", variant="A"))[0]
    variant_b = connector.publish(PostItem("What do you do with our app?", variant="B"))[0]
    wait_indexed(lambda: brand.client.get_post_thread(poll_uri).thread.post is not None)
    poll_post = brand.client.get_post_thread(poll_uri).thread.post
    assert "1. tea" in poll_post.record.text and "2. coffee" in poll_post.record.text
    reply(ann, poll_post, poll_post, "1")
    reply(ben, poll_post, poll_post, "Coffee")
    first_cat = reply(cat, poll_post, poll_post, "#1")
    reply(cat, first_cat, poll_post, "not a vote: a reply to a reply")
    time.sleep(0.01)
    reply(cat, poll_post, poll_post, "2")  # cat changes her mind: the latest counts
    reply(dan, poll_post, poll_post, "maybe?")  # not a vote
    answer = connector.publish(ReplyItem(variant_a, "Thanks! Tell us more."))[0]
    wait_indexed(thread_has(brand, poll_uri, 6))

    store = Store.open(str(tmp_path / "poll.db"))
    aid = store.upsert_account("bluesky", brand.handle, bluesky_net.pds, "file:bluesky")
    result = run_connector(store, aid, _connector(bluesky_net, brand))
    assert result.complete, result.error
    assert result.new["posts"] == 3 and result.new["polls"] == 1
    with store.engine.connect() as conn:
        snap = conn.execute(
            select(models.PollSnapshot.options, models.PollSnapshot.votes, models.PollSnapshot.voters)
        ).one()
        posts = set(conn.execute(select(models.Post.platform_id)).scalars())
        ours = conn.execute(
            select(models.Comment.ours).where(models.Comment.platform_id == answer)
        ).scalar_one()
    assert (snap.options, snap.votes, snap.voters) == (["tea", "coffee"], [1, 2], 3)
    assert posts == {poll_uri, variant_a, variant_b}
    assert ours is True
    again = run_connector(store, aid, _connector(bluesky_net, brand))
    assert again.new == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    store.close()


def _comments(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from comments").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _cli(args, env, input=""):
    return subprocess.run(  # noqa: PLW1510 - callers check returncode
        [sys.executable, "-c", "from sounding.cli import app; app()", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), **env),
    )


def test_sigkilled_sync_resumes_without_loss_or_duplicates(bluesky_net, people, tmp_path):
    brand, ann, ben = people("brand"), people("ann"), people("ben")
    posts = []
    for i in range(8):
        q = brand.client.send_post(text=f"Question {i}?")
        r = reply(ann, q, q, f"answer {i}")
        reply(ben, r, q, f"re: answer {i}")
        posts.append(q)
    wait_indexed(lambda: all(thread_has(brand, p.uri, 2)() for p in posts))

    db = tmp_path / "kill.db"
    env = {
        "SOUNDING_DATABASE_URL": f"sqlite:///{db}",
        "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOUNDING_SECRETS_BACKEND": "file",
        "SOUNDING_LOG_FILE": str(tmp_path / "sync.log"),
    }
    out = _cli(
        ["connect", "bluesky", "--service", bluesky_net.pds, "--handle", brand.handle, "--password-stdin"],
        env,
        input=PASSWORD + "\n",
    )
    assert out.returncode == 0, out.stderr

    proc = subprocess.Popen(
        [sys.executable, "-c", "from sounding.cli import app; app()", "sync", "--pace", "0.5", "--json"],
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while _comments(db) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = _comments(db)
    assert 0 < at_kill < 16, f"not killed mid-way ({at_kill} comments)"

    resumed = _cli(["sync", "--json"], env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["new"]["comments"] == 16 - at_kill
    again = _cli(["sync", "--json"], env)
    assert json.loads(again.stdout)["new"] == {"posts": 0, "comments": 0, "reactions": 0, "polls": 0}
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*), count(distinct platform_id) from comments").fetchone() == (
            16,
            16,
        )
        assert conn.execute("select count(*), count(distinct platform_id) from posts").fetchone() == (8, 8)
    for text in (resumed.stdout, resumed.stderr, (tmp_path / "sync.log").read_text()):
        assert PASSWORD not in text


def test_wrong_password_is_a_clear_error(bluesky_net, people, tmp_path):
    brand = people("brand")
    env = {
        "SOUNDING_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg"),
        "SOUNDING_SECRETS_BACKEND": "file",
    }
    out = _cli(
        ["connect", "bluesky", "--service", bluesky_net.pds, "--handle", brand.handle, "--password-stdin"],
        env,
        input="wrong-password-4711\n",
    )
    assert out.returncode == 8  # a remote refusal (see the exit codes in the README)
    assert "refused the login" in out.stderr
    assert "wrong-password-4711" not in out.stderr + out.stdout
    with Store.open(str(tmp_path / "x.db")).engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.Account)).scalar_one() == 0

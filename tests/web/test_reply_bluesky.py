"""Replying from the inbox to a thread on the local Bluesky network (tests/integration/bluesky), in
Chromium: a preview first (nothing sent), then the confirmed reply, and exactly one reply appears
on the server. Skipped when no devnet can be had, unless SOUNDING_REQUIRE_DEVNET=1."""

from __future__ import annotations

import devnet_helpers as devnet  # registered by tests/conftest.py with bluesky_net and people

from web_helpers import serve
from sounding.api import Sounding
from sounding.connectors import AccountRef, RetryPolicy, open_connector
from sounding.connectors.secrets import SecretStore
from sounding.connectors.sync import run_connector


def _our_replies(brand, uri: str, under: str) -> list[str]:
    """Texts of brand's replies directly under the comment ``under`` (read from the AppView)."""
    found, stack = [], [brand.client.get_post_thread(uri, depth=100).thread]
    while stack:
        node = stack.pop()
        for child in node.replies or []:
            if node.post.uri == under and child.post.author.did == brand.did:
                found.append(child.post.record.text)
            stack.append(child)
    return found


def _our_replies_once_shown(brand, uri: str, under: str) -> list[str]:
    """:func:`_our_replies` once the AppView shows any: a read can still come from before our reply was
    indexed even after another read showed it (seen once in a full run: ``[]`` after ``[answer]``)."""
    shown: list[str] = []

    def check() -> bool:
        shown[:] = _our_replies(brand, uri, under)
        return bool(shown)

    devnet.wait_indexed(check, timeout=30)
    return shown


def test_reply_from_the_inbox_dry_run_then_confirmed(bluesky_net, people, watched, tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")
    brand, ann = people("brand"), people("ann")
    post = brand.client.send_post(text="We changed our baggage rules. Questions?")
    devnet.wait_indexed(lambda: brand.client.get_post_thread(post.uri).thread.post is not None)  # AppView lag
    root = brand.client.get_post_thread(post.uri).thread.post
    question = devnet.reply(ann, root, root, "Do the new rules apply to flights booked before May?")
    devnet.wait_indexed(devnet.thread_has(brand, post.uri, 1))

    api = Sounding(str(tmp_path / "reply.db"))
    ref = SecretStore().set(f"bluesky:{brand.handle}", devnet.PASSWORD)
    account_id = api.store.upsert_account("bluesky", brand.handle, bluesky_net.pds, ref)
    connector = open_connector(AccountRef("bluesky", brand.handle, bluesky_net.pds, devnet.PASSWORD),
                               policy=RetryPolicy.fast())
    assert run_connector(api.store, account_id, connector).complete
    assert [q["id"] for q in api.inbox().items] == [question.uri]

    with serve(api) as site:
        page = watched.page
        page.goto(site.url + "/sync")
        synced = page.inner_text("table.accounts")
        assert brand.handle in synced and "never" not in synced  # the sync's cursors are shown
        watched.shot("sync-account")
        page.goto(site.url + "/inbox")
        item = page.locator(f"li.question[data-item='{question.uri}']")
        item.locator("details.reply summary").click()
        answer = "Yes: bookings made before May keep the old allowance."
        item.locator("textarea[name=text]").fill(answer)
        item.locator("button.preview").click()
        page.wait_for_selector("#reply-preview")
        assert answer in page.inner_text(".reply-text") and brand.handle in page.inner_text("dl.plan")
        watched.shot("reply-preview")
        assert _our_replies(brand, post.uri, question.uri) == []  # the dry run sent nothing

        page.click("button.confirm")
        page.wait_for_selector("#reply-sent")
        watched.shot("reply-sent")
        devnet.wait_indexed(lambda: _our_replies(brand, post.uri, question.uri) == [answer], timeout=30)

        # sending again (a resubmitted form, or the API) is refused: still exactly one reply
        again = page.request.post(site.url + "/api/v1/questions/reply",
                                  data={"platform": "bluesky", "item_id": question.uri, "text": answer, "confirm": True})
        assert again.status == 409
        page.goto(site.url + "/inbox")
        assert page.locator("li.question").count() == 0
        page.goto(site.url + "/thread?" + f"post={post.uri}")
        assert answer in page.inner_text("ul.tree")
        assert watched.problems == []
    assert _our_replies_once_shown(brand, post.uri, question.uri) == [answer]  # still one, after the resend
    api.close()

"""Closing the loop: one reply per thread, dry run first, opt-outs skipped, never twice."""

from __future__ import annotations

import pytest

from sounding.act import decisions, tell
from sounding.errors import ConflictError


def ship_dark_mode(api, note: str) -> int:
    """Decide on the dark-mode lesson and ship it with ``note``; the decision's id."""
    frame = api.lessons(quotes=False)
    lesson = int(frame.loc[frame["title"].str.contains("dark mode"), "lesson"].iloc[0])
    d = decisions.decide(api.store, "Dark mode", lessons=[lesson])
    decisions.set_status(api.store, d["id"], "shipped", note=note)
    return d["id"]


@pytest.fixture
def shipped(community):
    api, _ = community
    decision = ship_dark_mode(api, "Find it in Settings > Display.")
    api.store.upsert_account("bluesky", "brand.test", service_url=None, credential_ref=None)
    api.store.upsert_account("mastodon", "brand", service_url=None, credential_ref=None)
    return api, decision


class Recorder:
    def __init__(self, fail_on: set[str] = frozenset()):
        self.sent: list[tuple[int, str, str]] = []
        self.fail_on = fail_on

    def __call__(self, account: int, text: str, reply_to: str) -> list[str]:
        if reply_to in self.fail_on:
            raise RuntimeError("server said no")
        self.sent.append((account, text, reply_to))
        return [f"reply-to:{reply_to}"]


def test_drafts_one_reply_per_thread_to_the_first_person_who_asked(shipped):
    api, decision = shipped
    drafts = tell.draft(api.store, decision)
    assert len(drafts) == 2  # one bluesky thread, one mastodon thread
    by_platform = {d["platform"]: d for d in drafts}
    assert by_platform["bluesky"]["reply_to"] == "at://brand/post/1/c0"  # ana asked first
    assert len(by_platform["bluesky"]["people"]) == 2  # ana (twice) and ben
    assert "Dark mode" in by_platform["bluesky"]["text"] and "Settings > Display" in by_platform["bluesky"]["text"]
    assert all(d["status"] == "draft" for d in drafts)


def test_dry_run_sends_nothing_and_confirm_sends_each_thread_once(shipped):
    api, decision = shipped
    tell.draft(api.store, decision)
    recorder = Recorder()
    dry = tell.publish(api.store, decision, publisher=recorder, pace=0)
    assert {r["status"] for r in dry} == {"would send"} and recorder.sent == []
    done = tell.publish(api.store, decision, confirm=True, publisher=recorder, pace=0)
    assert sorted(r["status"] for r in done) == ["published", "published"]
    assert len(recorder.sent) == 2
    again = tell.publish(api.store, decision, confirm=True, publisher=recorder, pace=0)
    assert again == [] and len(recorder.sent) == 2
    tell.draft(api.store, decision)  # drafting again after sending changes nothing
    assert all(r["status"] == "published" for r in tell.replies(api.store, decision))


def test_an_opted_out_person_is_skipped_and_a_thread_of_only_them_gets_nothing(shipped):
    api, decision = shipped
    tell.opt_out(api.store, "mastodon:cleo")
    tell.opt_out(api.store, "mastodon:dev")
    drafts = tell.draft(api.store, decision)
    assert [d["platform"] for d in drafts] == ["bluesky"]
    tell.opt_out(api.store, "bluesky:ana")
    redrafted = tell.draft(api.store, decision)
    assert redrafted[0]["reply_to"] == "at://brand/post/1/c1"  # ben now, not ana
    recorder = Recorder()
    tell.publish(api.store, decision, confirm=True, publisher=recorder, pace=0)
    assert [r for _, _, r in recorder.sent] == ["at://brand/post/1/c1"]


def test_an_opt_out_after_drafting_is_honoured_at_send_time(shipped):
    api, decision = shipped
    tell.draft(api.store, decision)
    tell.opt_out(api.store, "mastodon:cleo")
    tell.opt_out(api.store, "mastodon:dev")
    recorder = Recorder()
    results = tell.publish(api.store, decision, confirm=True, publisher=recorder, pace=0)
    assert {r["platform"]: r["status"] for r in results} == {"bluesky": "published", "mastodon": "skipped"}


def test_a_failed_send_is_recorded_and_retried_and_a_killed_send_is_never_repeated(shipped):
    api, decision = shipped
    drafts = tell.draft(api.store, decision)
    failing = Recorder(fail_on={"at://brand/post/1/c0"})
    results = tell.publish(api.store, decision, confirm=True, publisher=failing, pace=0)
    assert sorted(r["status"] for r in results) == ["failed", "published"]
    retry = Recorder()
    assert [r["status"] for r in tell.publish(api.store, decision, confirm=True, publisher=retry, pace=0)] == ["published"]
    # a run killed between "publishing" and "published": the next run marks it unknown, sends nothing
    from sqlalchemy import update

    from sounding.store.models import LoopReply

    with api.store.transaction() as conn:
        conn.execute(update(LoopReply).where(LoopReply.id == drafts[0]["id"]).values(status="publishing"))
    after_kill = Recorder()
    tell.publish(api.store, decision, confirm=True, publisher=after_kill, pace=0)
    assert after_kill.sent == []
    assert {r["id"]: r["status"] for r in tell.replies(api.store, decision)}[drafts[0]["id"]] == "unknown"


def test_drafts_can_be_edited_and_only_closed_decisions_are_told(shipped, community):
    api, decision = shipped
    first = tell.draft(api.store, decision)[0]
    edited = tell.edit(api.store, first["id"], "It's here! Settings > Display > Dark.")
    assert edited["text"] == "It's here! Settings > Display > Dark."
    planned = decisions.decide(api.store, "Fix login", comments=["bluesky:at://brand/post/1/l0"])
    with pytest.raises(ConflictError):
        tell.draft(api.store, planned["id"])


def test_a_note_without_a_full_stop_still_reads_as_its_own_sentence(community):
    api, _ = community
    text = tell.draft(api.store, ship_dark_mode(api, "Find it under Settings"))[0]["text"]
    assert "Find it under Settings. Thank you for telling us!" in text

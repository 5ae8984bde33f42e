"""Replies mapped to a question's options: literally, then by meaning with the real `embed()`;
one vote per person; pooled Dirichlet shares."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sounding.analysis.embed import embed
from sounding.experiments.answers import Reply, align_votes, map_replies, pool_answers
from sounding.experiments.polls import poll_results
from sounding.experiments.reply_mapping import Match, clean_reply, exact_choice, match_by_meaning

OPTIONS = ["Dark mode", "Widgets"]
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 1),
        ("#1", 0),
        ("1.", 0),
        ("option B", 1),
        ("Option 2 please", 1),
        ("b", 1),
        ("I vote 1", 0),
        ("dark mode!", 0),
        ("@brand Dark Mode", 0),
        ("DARK MODE 🙏", 0),
        ("widgets please", 1),
        ("dark mode for sure, thanks", 0),
        ("hmm, option B actually", 1),
        ("#2 for me", 1),
        ("option 1 or option 2, can't decide", None),
        ("3", None),  # no third option
        ("option C", None),
        ("Dark mode or widgets, both fine", None),  # two options named: left to the meaning step
        ("what about offline sync?", None),
        ("", None),
    ],
)
def test_exact_choice(text, expected):
    assert exact_choice(text, OPTIONS) == expected


def test_contained_option_counts_as_the_longer_one():
    assert exact_choice("definitely dark mode", ["Mode", "Dark mode"]) == 1


def test_clean_reply_drops_mentions_and_links():
    assert clean_reply("@brand@social.example I'd love https://x.example/a a dark theme") == (
        "I'd love a dark theme"
    )
    assert clean_reply("email me at me@example.org") == "email me at me@example.org"


def _reply(author: str, text: str, minutes: int, platform: str = "mastodon") -> Reply:
    return Reply(platform, f"{platform}-{author}-{minutes}", author, text, T0 + timedelta(minutes=minutes))


def test_replies_mapped_by_meaning_with_the_real_model():
    replies = [
        _reply("u1", "I'd love a dark theme", 1),
        _reply("u2", "widgets on the home screen please", 2),
        _reply("u3", "what about offline sync?", 3),
        _reply("u4", "@brand I'd love a dark theme", 4),  # the mention is stripped before embedding
        _reply("u5", "2", 5),
        _reply("u6", "a widget for the lock screen", 6),
        _reply("u7", "I don't care, just fix the login crash", 7),
    ]
    matches, fresh = map_replies(replies, OPTIONS)
    assert [m.option for m in matches] == [0, 1, None, 0, 1, 1, None]
    # "widgets on the home screen" names the option: literal; the others are read by meaning
    assert [m.method for m in matches] == [
        "meaning",
        "exact",
        "other",
        "meaning",
        "exact",
        "meaning",
        "other",
    ]
    assert fresh == 5  # every non-literal reply embedded now (nothing stored)
    assert matches[0].similarity is not None and matches[0].similarity >= 0.35


def test_stored_vectors_are_used_unless_a_mention_was_stripped():
    """The analysis' vector is reused for a clean reply; a reply with an @mention is embedded again."""
    clean = _reply("u1", "I'd love a dark theme", 1)
    mentioned = _reply("u2", "@brand a widget for the lock screen", 2)
    clean, mentioned = replace(clean, text_hash="h1"), replace(mentioned, text_hash="h2")
    # A stored vector that says "Widgets" for the clean reply: if it is used, the mapping follows it.
    widgets = embed(["Widgets"])[0]
    stored = {"h1": widgets, "h2": embed(["Dark mode"])[0]}
    matches, fresh = map_replies([clean, mentioned], OPTIONS, stored=stored)
    assert matches[0].option == 1  # the stored vector was used
    assert matches[1].option == 1  # re-embedded without the mention, the stored one ignored
    assert fresh == 1


def test_match_by_meaning_threshold_and_margin():
    options = np.eye(3, dtype=np.float32)[:2]
    replies = np.array(
        [
            [0.9, 0.1, 0.0],  # clearly option 0
            [0.5, 0.45, 0.0],  # above threshold but no margin: other
            [0.2, 0.1, 0.97],  # below threshold: other
        ],
        dtype=np.float32,
    )
    got = match_by_meaning(replies, options, threshold=0.35, margin=0.1)
    assert [m.option for m in got] == [0, None, None]
    assert got[1].similarity == pytest.approx(0.5)


def test_one_vote_per_person_latest_answer_wins():
    replies = [
        _reply("ann", "Dark mode", 1),
        _reply("ann", "hmm, actually widgets", 5),  # changes her mind: widgets
        _reply("ann", "what about offline sync?", 9),  # a later remark does not cancel her vote
        _reply("ben", "widgets", 2),
        _reply("ben", "widgets!!", 3),  # said twice: counted once
        _reply("cat", "what about offline sync?", 4),  # only "other"
        _reply("cat", "and a calendar?", 6),
        _reply("ann", "Dark mode", 7, platform="bluesky"),  # another platform: another person
    ]
    matches = [Match(exact_choice(r.text, OPTIONS), "exact") for r in replies]
    matches = [m if m.option is not None else Match(None, "other") for m in matches]
    pooled = pool_answers(OPTIONS, {"mastodon": [4, 1]}, replies, matches)
    assert pooled.reply_votes == {"mastodon": [0, 2], "bluesky": [1, 0]}
    assert pooled.poll_votes == {"mastodon": [4, 1]}
    assert pooled.votes == [5, 3]
    assert pooled.other_people == 1
    assert [i.reply.text for i in pooled.other_replies] == [
        "what about offline sync?",
        "and a calendar?",
        "what about offline sync?",
    ]
    counted = {(i.reply.platform, i.reply.author): i.reply.text for i in pooled.answers}
    assert counted[("mastodon", "ann")] == "hmm, actually widgets"


def test_pooled_shares_and_p_best_are_sane():
    results = poll_results(dict(zip(OPTIONS, [30, 10])))
    assert sum(r.p_most_preferred for r in results) == pytest.approx(1, abs=1e-6)
    assert results[0].p_most_preferred > 0.99
    assert sum(r.share for r in results) == pytest.approx(1)
    for r in results:
        assert 0 <= r.share_ci_low < r.share < r.share_ci_high <= 1


def test_align_votes_by_text_then_position():
    assert align_votes(OPTIONS, ["widgets", "dark mode"], [3, 5]) == [5, 3]
    assert align_votes(OPTIONS, ["Dark m…", "Widg…"], [2, 1]) == [2, 1]

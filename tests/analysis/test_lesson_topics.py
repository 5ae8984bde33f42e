"""Which themes are lessons: a topic word rare elsewhere, never tone or names; cohesive reports in other words."""

from __future__ import annotations

from sounding.analysis.lesson_topics import Topic, is_topic, relative_cohesion, topics

import numpy as np

CORPUS = (
    ["my bag never arrived at the carousel after my flight", "lost bag again", "where is my bag", "bag still missing"]
    + ["thank you so much!", "thanks!", "thank you", "thanks a lot"]
    + ["flying Delta to Atlanta today", "Delta again tomorrow", "love Delta crew", "Delta gate"]
    + ["the flight was fine", "flight today", "on the flight now", "my flight", "a flight", "the plane"]
    + ["seat 12b on my flight is broken", "can I change my seat on this flight", "no seat for me on the flight",
       "seat upgrade for my flight"]
    + [f"flight {n} news" for n in ("one", "two", "three", "four", "five", "six", "seven", "eight")]
)


def _topics():
    members = {1: CORPUS[0:4], 2: CORPUS[4:8], 3: CORPUS[8:12], 4: CORPUS[12:18]}
    return topics(members, CORPUS)


def test_a_shared_rare_word_is_a_topic_and_its_label():
    found = _topics()
    assert found[1].label == "bag" and is_topic(found[1], {"problem": 4})


def test_thanks_are_tone_not_a_topic():
    thanks = _topics()[2]
    assert thanks.strength_all > thanks.strength  # its distinctive words are courtesy (VADER lexicon)
    assert not is_topic(thanks, {"praise": 4})


def test_names_do_not_make_a_topic():
    delta = _topics()[3]
    assert delta.label != "delta" and delta.strength < 0.35


def test_a_catch_all_is_no_topic():
    assert not is_topic(_topics()[4], {"other": 6})


def test_one_thing_in_different_words_is_a_lesson_when_cohesive_and_substantive():
    late = Topic("delivery", 0.0, 0.0, cohesion=0.33)
    assert is_topic(late, {"problem": 3, "question": 1, "other": 1})
    assert not is_topic(late, {"other": 3, "praise": 2})  # cohesive chit-chat is not
    assert not is_topic(Topic("delivery", 0.0, 0.0, cohesion=0.1), {"problem": 5})


def test_relative_cohesion_is_zero_for_the_corpus_itself():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 8)).astype(np.float32)
    tight = X[:1] + 0.05 * rng.normal(size=(10, 8)).astype(np.float32)
    got = relative_cohesion({1: X, 2: tight}, X)
    assert abs(got[1]) < 1e-6 and got[2] > 0.9

"""Fuzzing every importer (hypothesis): no traceback, every row stored or rejected, none lost.

The properties live in fuzz_harness.py; benchmarks/fuzz_import.py runs the same ones with many
more cases (``SOUNDING_FUZZ_EXAMPLES``) and prints how many ran.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz_harness as fz


@fz.FUZZ
@given(fz.jsonl_file())
def test_fuzz_jsonl(data):
    fz.jsonl_case(data)


@fz.FUZZ
@given(fz.csv_file())
def test_fuzz_csv(generated):
    fz.csv_case(generated)


@fz.FUZZ
@given(fz.jsonl_file(), st.floats(min_value=0.05, max_value=1.0), st.none() | st.integers(min_value=0))
def test_fuzz_gzip(data, cut, flip):
    fz.gz_case(data, cut, flip)


@fz.FUZZ
@given(st.lists(fz.outbox_item(), max_size=12), st.none() | st.floats(min_value=0.0, max_value=1.0))
def test_fuzz_mastodon_outbox(items, cut):
    fz.outbox_case(items, cut)


@fz.FUZZ
@given(fz.reddit_rows(fz.REDDIT_POSTS), fz.reddit_rows(fz.REDDIT_COMMENTS))
def test_fuzz_reddit_export(posts, comments):
    fz.reddit_case(posts, comments)


@fz.FUZZ
@given(st.sampled_from(["jsonl", "csv", "gz"]), st.lists(fz.mutation, min_size=1, max_size=6))
def test_byte_mutations_of_a_valid_file(kind, ops):
    fz.mutation_case(kind, ops)


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("SOUNDING_TEST_POSTGRES_URL"), reason="no PostgreSQL server")
@settings(fz.FUZZ, max_examples=max(5, fz.EXAMPLES // 3))
@given(fz.jsonl_file())
def test_fuzz_jsonl_on_postgres(data):
    """The same rules on PostgreSQL (NUL, surrogates, BIGINT): a new database per case, so fewer."""
    fz.jsonl_case(data, os.environ["SOUNDING_TEST_POSTGRES_URL"])

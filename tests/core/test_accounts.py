"""What `connect` asks for comes from each connector's ConnectSpec; gather() fills it from options,
standard input and prompts (sounding.core.accounts)."""

from __future__ import annotations

import json

import pytest

from sounding.connectors.base import get_connector_class
from sounding.connectors.secrets import strip_userinfo
from sounding.core.accounts import clean_service, gather, select
from sounding.errors import InputError, NotFoundError, UsageError


def spec(platform: str):
    return get_connector_class(platform).connect_spec


def no_prompt(field):
    raise AssertionError(f"prompted for {field.name}")


def lines(*values: str):
    queue = list(values)
    return lambda: queue.pop(0)


def test_bluesky_takes_the_handle_option_the_default_server_and_the_password_from_stdin():
    given = {"handle": "brand.test", "password_stdin": True}
    assert gather(spec("bluesky"), given, no_prompt, lines("app-pass-1")) == (
        "brand.test", "https://bsky.social", {"password": "app-pass-1"},
    )


def test_mastodon_takes_instance_or_service_and_needs_no_handle():
    given = {"instance": "https://social.example", "token_stdin": True}
    handle, service, creds = gather(spec("mastodon"), given, no_prompt, lines("tok-1"))
    assert (handle, service, creds) == (None, "https://social.example", {"token": "tok-1"})


def test_youtube_channel_id_is_the_handle():
    given = {"channel_id": "UC123", "api_key_stdin": True}
    assert gather(spec("youtube"), given, no_prompt, lines("key-1"))[0] == "UC123"


def test_reddit_prompts_for_each_part_and_packs_them_as_json():
    asked = []

    def ask(field):
        asked.append((field.name, field.secret))
        return {"client_secret": "cs-1"}[field.name]

    given = {"handle": "me", "client_id": "cid-1", "password_stdin": True}
    handle, _, creds = gather(spec("reddit"), given, ask, lines("pw-1"))
    assert asked == [("client_secret", True)]
    assert json.loads(spec("reddit").pack(creds)) == {"client_id": "cid-1", "client_secret": "cs-1", "password": "pw-1"}


def test_reddit_bundle_on_stdin_and_a_bad_one():
    bundle = json.dumps({"client_id": "c", "client_secret": "s", "refresh_token": "r"})
    _, _, creds = gather(spec("reddit"), {"handle": "me", "secret_stdin": True}, no_prompt, lines(bundle))
    assert creds == {"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    with pytest.raises(InputError):
        gather(spec("reddit"), {"handle": "me", "secret_stdin": True}, no_prompt, lines("[1, 2]"))


def test_an_empty_secret_is_a_usage_error():
    with pytest.raises(UsageError, match="App password: empty"):
        gather(spec("bluesky"), {"handle": "b", "password_stdin": True}, no_prompt, lines(""))


def test_credentials_in_a_server_url_are_dropped():
    assert strip_userinfo("https://u:p@host:8/x") == ("https://host:8/x", "u:p")
    assert clean_service("https://u:p@host/") == "https://host"
    assert clean_service("https://host/") == "https://host"


class _Account:
    def __init__(self, id, platform, handle):
        self.id, self.platform, self.handle = id, platform, handle


def test_select_by_id_handle_platform_and_an_unknown_one():
    accounts = [_Account(1, "bluesky", "a.test"), _Account(2, "mastodon", "a.test"), _Account(3, "mastodon", "b")]
    assert [a.id for a in select(accounts, ["mastodon"])] == [2, 3]
    assert [a.id for a in select(accounts, ["a.test"])] == [1, 2]
    assert [a.id for a in select(accounts, ["mastodon:b", "1"])] == [3, 1]
    with pytest.raises(NotFoundError):
        select(accounts, ["nobody"])

"""Bounded waits: a Retry-After longer than the client's max_wait raises RateLimitedError at
once, with retry_after saying when to try again; a max_wait that is not a duration is refused."""

import time

import pytest

from notion_xws import Client
from notion_xws.errors import ConfigError, RateLimitedError
from notion_xws.testing import FakeNotion


def test_a_retry_after_past_max_wait_raises_at_once_and_says_when():
    fake = FakeNotion()
    info = fake.demo_world()
    fake.fail_next("/v1/", "rate_limited", retry_after=3600)
    client = Client(info["control_token"], fake=fake, max_wait=60)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as raised:
        client.audit()
    assert time.monotonic() - started < 30
    assert raised.value.retry_after == 3600
    assert "Notion asks to wait 1h" in str(raised.value)
    assert info["control_token"] not in str(raised.value)


def test_max_wait_must_be_a_duration():
    fake = FakeNotion()
    info = fake.demo_world()
    for wrong in (-1, float("nan"), float("inf")):
        with pytest.raises(ConfigError):
            Client(info["control_token"], fake=fake, max_wait=wrong)

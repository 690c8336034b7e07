"""The limiter's arithmetic, driven by a fake monotonic clock (no sleeping)."""

import pytest

from bot.scheduling.rate_limit import RateLimiter, RateLimits


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def time_():
    return FakeTime()


def send(limiter, chat, *, group=False, new=True, interactive=True):
    wait = limiter.wait_time(chat, group=group, new_message=new, interactive=interactive)
    if wait == 0:
        limiter.take(chat, group=group, new_message=new)
    return wait


def test_a_private_chat_gets_one_new_message_per_second(time_):
    limiter = RateLimiter(RateLimits(), time_)
    assert send(limiter, 1) == 0
    assert send(limiter, 1) == pytest.approx(1.0)
    assert send(limiter, 2) == 0  # other chats are not held up
    time_.now += 1.0
    assert send(limiter, 1) == 0


def test_edits_do_not_count_against_the_chat(time_):
    limiter = RateLimiter(RateLimits(), time_)
    send(limiter, 1)
    assert send(limiter, 1, new=False) == 0


def test_overall_rate_is_capped(time_):
    limiter = RateLimiter(RateLimits(global_per_second=30, interactive_reserve=0), time_)
    sent = sum(1 for chat in range(100) if send(limiter, chat) == 0)
    assert sent == 30
    time_.now += 0.5
    assert sum(1 for chat in range(100, 200) if send(limiter, chat) == 0) == 15


def test_bulk_leaves_a_reserve_for_interactive_replies(time_):
    limiter = RateLimiter(RateLimits(global_per_second=30, interactive_reserve=5), time_)
    bulk = sum(1 for chat in range(100) if send(limiter, chat, interactive=False) == 0)
    assert bulk == 25
    assert send(limiter, 500, interactive=True) == 0  # a reply still goes at once


def test_a_group_gets_twenty_messages_a_minute(time_):
    limiter = RateLimiter(RateLimits(), time_)
    for _ in range(20):
        assert send(limiter, -100, group=True) == 0
        time_.now += 0.1
    assert send(limiter, -100, group=True) == pytest.approx(58.0)
    time_.now += 58.0
    assert send(limiter, -100, group=True) == 0


def test_retry_after_pauses_only_that_chat(time_):
    limiter = RateLimiter(RateLimits(), time_)
    limiter.pause_chat(1, 7)
    assert send(limiter, 1) == pytest.approx(7)
    assert send(limiter, 2) == 0


def test_scaled_limits_keep_their_shape():
    scaled = RateLimits().scaled(100)
    assert (scaled.global_per_second, scaled.chat_per_second, scaled.group_per_minute) == (
        3000,
        100,
        2000,
    )

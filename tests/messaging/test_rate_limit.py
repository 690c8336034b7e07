"""The limiter's arithmetic, driven by a fake monotonic clock (no sleeping)."""

import asyncio

import pytest

from bot.messaging.rate_limit import RateLimiter, RateLimits


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def time_():
    return FakeTime()


def send(limiter, chat, *, group=False, new=True, interactive=True):
    """Send one message that Telegram answers at once (chats are keyed by their address
    as text)."""
    address = str(chat)
    wait = limiter.wait_time(address, group=group, new_message=new, interactive=interactive)
    if wait == 0:
        limiter.take(address, group=group, new_message=new)
        limiter.release(address, group=group, new_message=new)
    return wait


def test_messages_in_flight_fill_the_window_until_answered(time_):
    limiter = RateLimiter(RateLimits(), time_)
    for chat in range(30):
        limiter.take(str(chat), group=False, new_message=True)  # sent, no answer yet
    assert limiter.wait_time("99", group=False, new_message=True, interactive=True) == float("inf")
    time_.now += 5.0  # a slow answer: they still count, from the answer on
    for chat in range(30):
        limiter.release(str(chat), group=False, new_message=True)
    assert limiter.wait_time("99", group=False, new_message=True, interactive=True) == (
        pytest.approx(1.0)
    )
    time_.now += 1.0
    assert limiter.wait_time("99", group=False, new_message=True, interactive=True) == 0


def test_a_chat_waits_a_second_after_its_previous_message_was_answered(time_):
    limiter = RateLimiter(RateLimits(), time_)
    limiter.take("1", group=False, new_message=True)
    time_.now += 0.7
    assert limiter.wait_time("1", group=False, new_message=True, interactive=True) == float("inf")
    limiter.release("1", group=False, new_message=True)
    assert limiter.wait_time("1", group=False, new_message=True, interactive=True) == (
        pytest.approx(1.0)
    )


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


def test_no_more_than_thirty_in_any_one_second_window(time_):
    limiter = RateLimiter(RateLimits(), time_)
    sent_at = []
    for chat in range(200):
        while (wait := send(limiter, chat, interactive=False)) > 0:
            time_.now += wait
        sent_at.append(time_.now)
    for i in range(len(sent_at) - 30):
        assert sent_at[i + 30] - sent_at[i] >= 1.0 - 1e-9
    assert sent_at[-1] - sent_at[0] == pytest.approx(200 / 30, abs=1.0)


def sends_within(limiter, time_, seconds, *, interactive=False, first_chat=100):
    """How many messages go out in `seconds`, each sent as soon as the limiter allows."""
    end, sent, chat = time_.now + seconds, 0, first_chat
    while time_.now < end:
        wait = send(limiter, chat, interactive=interactive)
        if wait == 0:
            sent, chat = sent + 1, chat + 1
        else:
            time_.now += min(wait, 0.01)
    return sent


def test_bulk_sends_are_spaced_evenly_not_burst(time_):
    limiter = RateLimiter(RateLimits(), time_)
    # A sender that falls behind may catch up by two slots: at most three at once...
    assert [send(limiter, chat, interactive=False) for chat in (1, 2, 3)] == [0, 0, 0]
    # ...then one every 1/30 s.
    assert send(limiter, 4, interactive=False) == pytest.approx(1 / 30)
    assert send(limiter, 5, interactive=True) == 0  # a reply is not spaced
    fresh = RateLimiter(RateLimits(), time_)
    assert sends_within(fresh, time_, 1.0) == 30  # a whole window's worth, one by one


def test_bulk_holds_back_while_a_reply_waits(time_):
    limiter = RateLimiter(RateLimits(), time_)
    limiter._interactive_waiting = 1  # a reply is waiting for a slot
    assert sends_within(limiter, time_, 1.0) == 29
    assert send(limiter, 999, interactive=True) == 0


def test_acquire_returns_the_wait_when_it_is_too_long(time_):
    limiter = RateLimiter(RateLimits(), time_)
    limiter.pause_chat("5", 30)

    async def attempt():
        return await limiter.acquire(
            "5", group=False, new_message=True, interactive=False, max_wait=1.0
        )

    assert asyncio.run(attempt()) == pytest.approx(30)


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
    limiter.pause_chat("1", 7)
    assert send(limiter, 1) == pytest.approx(7)
    assert send(limiter, 2) == 0


def test_settings_rates_become_windows():
    limits = RateLimits.per_second(30, 1, 20)
    assert (limits.global_count, limits.global_window, limits.chat_window) == (30, 1.0, 1.0)
    assert RateLimits.per_second(0.5).global_per_second == pytest.approx(0.5)


def test_scaled_limits_keep_their_counts_with_shorter_windows():
    scaled = RateLimits().scaled(100)
    assert (scaled.global_count, scaled.global_window) == (30, 0.01)
    assert scaled.global_per_second == pytest.approx(3000)
    assert (scaled.group_count, scaled.group_window) == (20, 0.6)

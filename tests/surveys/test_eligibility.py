from datetime import UTC, datetime, timedelta

from bot.flows.schema import Trigger
from bot.surveys.eligibility import SkipReason, decide, in_sample

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def trigger(**kwargs):
    return Trigger.model_validate({"on": "order.delivered", **kwargs})


def test_opted_out_customers_are_never_surveyed():
    decision = decide(
        trigger=trigger(), sample_key="k", opted_out=True, last_surveyed_at=None, at=NOW
    )
    assert (decision.send, decision.reason) == (False, SkipReason.OPTED_OUT)


def test_cooldown_skips_with_the_reason_spelled_out():
    decision = decide(
        trigger=trigger(cooldown="30d"),
        sample_key="k",
        opted_out=False,
        last_surveyed_at=NOW - timedelta(days=10),
        at=NOW,
    )
    assert decision.reason == SkipReason.COOLDOWN
    assert decision.detail == "surveyed 1w3d before; the cooldown is 4w2d"
    later = decide(
        trigger=trigger(cooldown="30d"),
        sample_key="k",
        opted_out=False,
        last_surveyed_at=NOW - timedelta(days=31),
        at=NOW,
    )
    assert later.send


def test_a_survey_planned_later_also_counts_for_the_cooldown():
    decision = decide(
        trigger=trigger(cooldown="7d"),
        sample_key="k",
        opted_out=False,
        last_surveyed_at=NOW + timedelta(days=1),
        at=NOW,
    )
    assert decision.reason == SkipReason.COOLDOWN


def test_sampling_is_stable_and_close_to_the_share():
    keys = [f"post_purchase:SO-{n}" for n in range(10_000)]
    chosen = [key for key in keys if in_sample(key, 0.25)]
    assert 2300 < len(chosen) < 2700
    assert chosen == [key for key in keys if in_sample(key, 0.25)]  # same answer every time
    assert all(in_sample(key, 1.0) for key in keys[:100])
    assert not any(in_sample(key, 0.0) for key in keys[:100])


def test_sampled_out_is_a_reason_too():
    outside = next(f"k{n}" for n in range(100) if not in_sample(f"k{n}", 0.5))
    decision = decide(
        trigger=trigger(sample=0.5),
        sample_key=outside,
        opted_out=False,
        last_surveyed_at=None,
        at=NOW,
    )
    assert (decision.send, decision.reason) == (False, SkipReason.SAMPLED_OUT)
    unsampled = decide(
        trigger=trigger(sample=0.5), sample_key=None, opted_out=False, last_surveyed_at=None, at=NOW
    )
    assert unsampled.send  # at send time the sample is not drawn again


def decide_for_age(age, **trigger_keys):
    return decide(
        trigger=trigger(**trigger_keys),
        sample_key="k",
        opted_out=False,
        last_surveyed_at=None,
        at=NOW,
        event_age=age,
    )


def test_an_event_older_than_max_age_is_skipped_as_stale_with_its_age():
    decision = decide_for_age(timedelta(days=2), max_age="1d")
    assert (decision.send, decision.reason) == (False, SkipReason.STALE)
    assert decision.detail == (
        "the event arrived 2d after it happened; this flow surveys events up to 1d old (max_age)"
    )


def test_an_event_as_old_as_max_age_is_still_surveyed():
    assert decide_for_age(timedelta(days=1), max_age="1d").send


def test_without_max_age_an_event_is_stale_once_its_survey_would_have_closed():
    # delay 2h + expire 3d: sent on time, the survey would be closed by now.
    keys = {"delay": "2h", "expire": "3d"}
    assert decide_for_age(timedelta(days=3, hours=2), **keys).send
    assert decide_for_age(timedelta(days=3, hours=3), **keys).reason == SkipReason.STALE


def test_without_max_age_or_expire_an_event_is_stale_a_week_after_its_delay():
    assert decide_for_age(timedelta(days=8), delay="1d").send
    assert decide_for_age(timedelta(days=8, minutes=1), delay="1d").reason == SkipReason.STALE


def test_an_opt_out_is_the_reason_even_for_a_stale_event():
    decision = decide(
        trigger=trigger(max_age="1d"),
        sample_key="k",
        opted_out=True,
        last_surveyed_at=None,
        at=NOW,
        event_age=timedelta(days=30),
    )
    assert decision.reason == SkipReason.OPTED_OUT

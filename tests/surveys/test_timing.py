"""Send windows, delays, reminders and expiry in customers' local time, DST included."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.flows.schema import SendWindow, Trigger
from bot.surveys.timing import expire_at, into_window, remind_at, send_at, zone

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no DST
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST
DAY = SendWindow.parse("09:00-21:00")
NIGHT = SendWindow.parse("20:00-08:00")  # crosses midnight


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


def trigger(**kwargs):
    return Trigger.model_validate({"on": "order.delivered", **kwargs})


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(HCM, 2026, 11, 20, 10, 0), local(HCM, 2026, 11, 20, 10, 0)),  # inside
        (local(HCM, 2026, 11, 20, 7, 30), local(HCM, 2026, 11, 20, 9, 0)),  # before: today
        (local(HCM, 2026, 11, 20, 21, 0), local(HCM, 2026, 11, 21, 9, 0)),  # at the end
        (local(HCM, 2026, 11, 20, 23, 59), local(HCM, 2026, 11, 21, 9, 0)),  # late: tomorrow
        (local(HCM, 2026, 12, 31, 22, 0), local(HCM, 2027, 1, 1, 9, 0)),  # year end
    ],
)
def test_day_window_in_ho_chi_minh(moment, expected):
    assert into_window(moment.astimezone(UTC), DAY, HCM) == expected.astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(HCM, 2026, 11, 20, 23, 0), local(HCM, 2026, 11, 20, 23, 0)),  # inside, evening
        (local(HCM, 2026, 11, 21, 2, 0), local(HCM, 2026, 11, 21, 2, 0)),  # inside, after 0:00
        (local(HCM, 2026, 11, 21, 8, 0), local(HCM, 2026, 11, 21, 20, 0)),  # closed at 8:00
        (local(HCM, 2026, 11, 21, 12, 0), local(HCM, 2026, 11, 21, 20, 0)),  # midday: tonight
    ],
)
def test_window_across_midnight(moment, expected):
    assert into_window(moment.astimezone(UTC), NIGHT, HCM) == expected.astimezone(UTC)


def test_window_until_24_00():
    window = SendWindow.parse("18:00-24:00")
    late = local(HCM, 2026, 11, 20, 23, 59)
    assert into_window(late.astimezone(UTC), window, HCM) == late.astimezone(UTC)
    early = local(HCM, 2026, 11, 21, 0, 30)
    assert into_window(early.astimezone(UTC), window, HCM) == local(HCM, 2026, 11, 21, 18, 0)


def test_berlin_spring_forward_gap_opens_just_after_it():
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; a 02:30 opening does not exist that day.
    window = SendWindow.parse("02:30-06:00")
    night_before = local(BERLIN, 2026, 3, 29, 1, 0).astimezone(UTC)
    opening = into_window(night_before, window, BERLIN)
    assert opening == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert opening.astimezone(BERLIN).hour == 3


def test_berlin_daily_window_keeps_local_time_across_dst_changes():
    # 21:30 local the evening before each change: the next opening is 09:00 local time.
    for day in (28, 24):  # 2026-03-28 (spring) and 2026-10-24 (autumn)
        month = 3 if day == 28 else 10
        evening = local(BERLIN, 2026, month, day, 21, 30).astimezone(UTC)
        opening = into_window(evening, DAY, BERLIN).astimezone(BERLIN)
        assert (opening.day, opening.hour, opening.minute) == (day + 1, 9, 0)
    assert into_window(local(BERLIN, 2026, 3, 28, 21, 30).astimezone(UTC), DAY, BERLIN) == (
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # CEST is UTC+2
    )
    assert into_window(local(BERLIN, 2026, 10, 24, 21, 30).astimezone(UTC), DAY, BERLIN) == (
        datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # CET is UTC+1
    )


def test_berlin_autumn_repeated_hour_opens_at_its_first_occurrence():
    window = SendWindow.parse("02:30-05:00")
    evening = local(BERLIN, 2026, 10, 24, 22, 0).astimezone(UTC)
    assert into_window(evening, window, BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_send_at_adds_the_delay_then_respects_the_window():
    delivered = local(HCM, 2026, 11, 20, 20, 30).astimezone(UTC)
    planned = send_at(delivered, trigger(delay="2h", send_window="09:00-21:00"), HCM)
    assert planned == local(HCM, 2026, 11, 21, 9, 0).astimezone(UTC)
    no_window = send_at(delivered, trigger(delay="45s"), HCM)
    assert no_window == delivered + timedelta(seconds=45)


def test_reminder_lands_in_the_window_and_never_after_expiry():
    sent = local(HCM, 2026, 11, 20, 20, 0).astimezone(UTC)
    rule = trigger(send_window="09:00-21:00", reminder="1d", expire="3d")
    assert remind_at(sent, rule, HCM) == local(HCM, 2026, 11, 21, 20, 0).astimezone(UTC)
    late = trigger(send_window="09:00-10:00", reminder="23h", expire="1d")
    assert remind_at(sent, late, HCM) is None  # next opening would be after expiry
    assert remind_at(sent, trigger(), HCM) is None


def test_expiry_counts_from_sending():
    sent = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert expire_at(sent, trigger(expire="3d")) == sent + timedelta(days=3)
    assert expire_at(sent, trigger()) is None


def test_unknown_timezone_falls_back_to_the_default():
    assert zone("Mars/Olympus", "Asia/Ho_Chi_Minh") == HCM
    assert zone(None, "Europe/Berlin") == BERLIN


@pytest.mark.parametrize("duration", ["3651d", "99999999999d", "9" * 40 + "w"])
def test_a_wait_too_long_to_schedule_is_refused_when_the_flow_loads(duration):
    # Bounded waits keep every sum of an event time and a delay far from the year 9999.
    with pytest.raises(ValueError, match="too long; durations go up to 3650d"):
        trigger(delay=duration)


def test_the_longest_wait_from_the_latest_event_time_is_still_schedulable():
    latest = datetime(2099, 12, 31, 23, 59, tzinfo=UTC)
    longest = trigger(delay="3650d", send_window="09:00-21:00", expire="3650d", reminder="3649d")
    sent = send_at(latest, longest, HCM)
    assert sent.year == 2109
    assert remind_at(sent, longest, HCM) is not None
    assert expire_at(sent, longest) == sent + timedelta(days=3650)

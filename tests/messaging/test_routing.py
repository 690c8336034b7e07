from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.channels.telegram.capabilities import TELEGRAM
from bot.messaging.routing import ContactState, Route, choose_contact, why_unroutable
from tests.messaging.tight_channel import TIGHT

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORDER = ("telegram", "zalo", "messenger")


ANY_TIME = replace(TELEGRAM, name="zalo")
CHANNELS = {"telegram": TELEGRAM, "zalo": ANY_TIME, "messenger": replace(TIGHT, name="messenger")}


def test_the_shops_order_decides_among_contacts_nobody_wrote_from():
    contacts = [ContactState("zalo", "z1"), ContactState("telegram", "t1")]
    assert choose_contact(contacts, CHANNELS, ORDER, NOW) == Route("telegram", "t1")


def test_the_contact_the_customer_last_wrote_from_comes_first():
    contacts = [
        ContactState("telegram", "t1", last_inbound_at=NOW - timedelta(days=3)),
        ContactState("zalo", "z1", last_inbound_at=NOW - timedelta(hours=1)),
    ]
    assert choose_contact(contacts, CHANNELS, ORDER, NOW) == Route("zalo", "z1")


def test_an_unreachable_contact_is_passed_over_with_the_reason():
    contacts = [
        ContactState("telegram", "t1", unreachable_at=NOW - timedelta(hours=2)),
        ContactState("zalo", "z1"),
    ]
    route = choose_contact(contacts, CHANNELS, ORDER, NOW)
    assert route is not None and (route.channel, route.address) == ("zalo", "z1")
    assert route.because == "telegram t1: unreachable since 2026-12-01 10:00Z"


def test_a_channel_that_only_answers_is_used_only_inside_its_window():
    open_window = ContactState("messenger", "m1", last_inbound_at=NOW - timedelta(hours=23))
    closed = ContactState("messenger", "m2", last_inbound_at=NOW - timedelta(hours=25))
    assert choose_contact([open_window], CHANNELS, ORDER, NOW) == Route("messenger", "m1")
    assert choose_contact([closed], CHANNELS, ORDER, NOW) is None
    fallback = ContactState("zalo", "z1")
    assert choose_contact([closed, fallback], CHANNELS, ("messenger", "zalo"), NOW) == Route(
        "zalo", "z1", "messenger m2: outside its 24 h window"
    )


def test_a_channel_that_may_start_conversations_ignores_the_window():
    channels = {"messenger": replace(TIGHT, can_start_conversation=True)}
    assert choose_contact([ContactState("messenger", "m1")], channels, ORDER, NOW) is not None


def test_contacts_on_channels_that_are_off_and_opted_out_ones_are_not_used():
    contacts = [
        ContactState("whatsapp", "+84901234567"),
        ContactState("zalo", "z1", opted_out_at=NOW),
    ]
    assert choose_contact(contacts, CHANNELS, ORDER, NOW) is None
    everyone = [*contacts, ContactState("telegram", "t1")]
    route = choose_contact(everyone, CHANNELS, ("zalo", "whatsapp", "telegram"), NOW)
    assert route is not None and route.because == (
        "zalo z1: opted out on this channel; whatsapp +84901234567: channel not enabled"
    )


def test_a_contact_already_tried_for_this_message_is_not_tried_again():
    contacts = [ContactState("telegram", "t1"), ContactState("zalo", "z1")]
    route = choose_contact(contacts, CHANNELS, ORDER, NOW, passed={("telegram", "t1")})
    assert route == Route("zalo", "z1", "telegram t1: already tried")


def test_no_contact_at_all_is_no_route():
    assert choose_contact([], CHANNELS, ORDER, NOW) is None


def test_a_flows_own_order_comes_before_the_shops():
    contacts = [ContactState("telegram", "t1"), ContactState("zalo", "z1")]
    assert choose_contact(contacts, CHANNELS, ("zalo", "telegram"), NOW) == Route("zalo", "z1")


# ---- invitations: a template may open the conversation ----------------------------------

ZALO_LIKE = replace(TIGHT, name="zalo", templates_by_phone=True)
WITH_TEMPLATES = {"telegram": TELEGRAM, "zalo": ZALO_LIKE}


def test_a_message_with_an_invitation_goes_outside_the_window():
    closed = ContactState("zalo", "z1", last_inbound_at=NOW - timedelta(days=30))
    assert choose_contact([closed], WITH_TEMPLATES, ORDER, NOW) is None
    # Known closed: the channel sends its template straight away.
    assert choose_contact([closed], WITH_TEMPLATES, ORDER, NOW, invited={"zalo"}) == Route(
        "zalo", "z1", template_only=True
    )
    unknown = ContactState("zalo", "z1")  # only the platform knows: the message is tried
    assert choose_contact([unknown], WITH_TEMPLATES, ORDER, NOW, invited={"zalo"}) == Route(
        "zalo", "z1"
    )


def test_a_buyer_with_only_a_phone_is_reached_by_the_channel_that_sends_templates_by_phone():
    phone = "+84901234567"
    assert choose_contact([], WITH_TEMPLATES, ORDER, NOW, phone=phone) is None  # no template
    assert choose_contact([], WITH_TEMPLATES, ORDER, NOW, invited={"zalo"}, phone=phone) == (
        Route("zalo", phone, template_only=True)
    )
    # Their own contacts come first; the phone is the last resort.
    contacts = [ContactState("telegram", "t1")]
    route = choose_contact(contacts, WITH_TEMPLATES, ORDER, NOW, invited={"zalo"}, phone=phone)
    assert route == Route("telegram", "t1")


def test_the_phone_is_not_used_on_a_channel_the_customer_opted_out_of_or_already_tried():
    phone = "+84901234567"
    opted_out = [ContactState("zalo", "z1", opted_out_at=NOW)]
    assert (
        choose_contact(opted_out, WITH_TEMPLATES, ORDER, NOW, invited={"zalo"}, phone=phone) is None
    )
    tried = {("zalo", phone)}
    assert (
        choose_contact([], WITH_TEMPLATES, ORDER, NOW, passed=tried, invited={"zalo"}, phone=phone)
        is None
    )
    no_phone_templates = {"zalo": replace(ZALO_LIKE, templates_by_phone=False)}
    assert choose_contact([], no_phone_templates, ORDER, NOW, invited={"zalo"}, phone=phone) is None


def test_a_phone_abroad_is_not_tried_on_a_channel_that_reaches_only_some_countries():
    vietnam_only = {"zalo": replace(ZALO_LIKE, phone_prefixes=("+84",))}
    singapore = "+6591234567"
    assert choose_contact([], vietnam_only, ORDER, NOW, invited={"zalo"}, phone=singapore) is None
    assert choose_contact([], vietnam_only, ORDER, NOW, invited={"zalo"}, phone="+84901234567")


def test_a_staff_reply_goes_for_as_long_as_the_channel_lets_a_persons_replies_go():
    human_agent = replace(TIGHT, name="messenger", staff_reply_window=timedelta(days=7))
    channels = {"messenger": human_agent}
    three_days = ContactState("messenger", "m1", last_inbound_at=NOW - timedelta(days=3))
    eight_days = ContactState("messenger", "m2", last_inbound_at=NOW - timedelta(days=8))
    assert choose_contact([three_days], channels, ORDER, NOW) is None  # not a survey
    assert choose_contact([three_days], channels, ORDER, NOW, staff_reply=True) == Route(
        "messenger", "m1"
    )
    assert choose_contact([eight_days], channels, ORDER, NOW, staff_reply=True) is None
    assert (
        why_unroutable([eight_days], channels, NOW, staff_reply=True)
        == "messenger m2: outside its 7-day window"
    )
    # Without the permission, a staff reply keeps to the 24 hours as any message does.
    assert choose_contact([three_days], CHANNELS, ORDER, NOW, staff_reply=True) is None

"""CSV rows name a customer's contacts (`contacts`: channel:address pairs) and phone."""

from pydantic import ValidationError

from bot.surveys.csv_import import row_to_event
from bot.surveys.events import PurchaseEvent, field_errors

ROW = {
    "occurred_at": "2026-11-20T08:00:00+07:00",
    "order_id": "SO-1",
    "customer_id": "C-1",
}


def event_of(**cells: str) -> PurchaseEvent:
    return PurchaseEvent.model_validate(row_to_event({**ROW, **cells}, "order.delivered"))


def test_contact_pairs_and_a_phone_become_the_customers_contacts():
    event = event_of(contacts="zalo:4512 messenger:6789", phone="+84901234567")
    assert [(c.channel, c.address) for c in event.customer.all_contacts()] == [
        ("zalo", "4512"),
        ("messenger", "6789"),
    ]
    assert event.customer.phone == "+84901234567"


def test_pairs_may_be_separated_by_semicolons_and_join_the_telegram_column():
    event = event_of(contacts="zalo:4512; whatsapp:+84901234567", telegram_chat_id="77")
    assert [(c.channel, c.address) for c in event.customer.all_contacts()] == [
        ("zalo", "4512"),
        ("whatsapp", "+84901234567"),
        ("telegram", "77"),
    ]


def test_an_empty_contacts_cell_is_no_contacts():
    assert event_of(contacts="").customer.all_contacts() == []


def test_a_pair_without_a_channel_is_a_problem_naming_the_column():
    try:
        event_of(contacts="4512")
    except ValidationError as exc:
        (problem,) = field_errors(exc.errors())
        assert problem["field"] == "customer.contacts"
    else:
        raise AssertionError("a contact without its channel was accepted")

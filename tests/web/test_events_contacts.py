"""A customer's contacts in POST /api/v1/events: a list per channel, the Telegram
shorthand, a phone number; each stored once, each bad one named."""

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.surveys.events import PurchaseEvent
from tests.harness import event_body
from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
# The fingerprint of the example event before contacts existed: a retry of an event sent
# then must still be the same event.
FINGERPRINT_BEFORE_CONTACTS = "28b4b924a77ef1f5ffc98d2f1e820956cee787f19cd68f339e3c64abf8495b98"


@pytest.fixture
async def client(make_client):
    return await make_client(ManualClock(NOW))


async def contacts_of(client, external_id="C-9"):
    runtime = client._transport.app.state.runtime
    async with runtime.db.reading() as tx:
        customer = await tx.customers.by_external_id(external_id)
        contacts = await tx.contacts.of_customer(customer.id)
        return customer, [(c.channel, c.address) for c in contacts]


async def test_contacts_on_several_channels_are_stored_with_the_telegram_shorthand(client):
    body = event_body(
        customer__contacts=[
            {"channel": "zalo", "address": "4512398765"},
            {"channel": "messenger", "address": "6789012345678"},
        ],
        customer__phone="+84901234567",
    )
    response = await client.post("/api/v1/events", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    customer, contacts = await contacts_of(client)
    assert contacts == [
        ("zalo", "4512398765"),
        ("messenger", "6789012345678"),
        ("telegram", "123"),
    ]
    assert customer.phone == "+84901234567"


async def test_the_same_contact_twice_is_one_contact(client):
    body = event_body(customer__contacts=[{"channel": "telegram", "address": "123"}])
    assert (await client.post("/api/v1/events", json=body, headers=AUTH)).status_code == 202
    assert (await contacts_of(client))[1] == [("telegram", "123")]


async def test_a_contact_given_to_another_customer_moves_to_them(client):
    zalo = [{"channel": "zalo", "address": "z-1"}]
    first = event_body(customer__contacts=zalo, customer__telegram_chat_id=None)
    second = event_body(id="evt-2", order__id="SO-2", customer__id="C-10", customer__contacts=zalo)
    for body in (first, second):
        assert (await client.post("/api/v1/events", json=body, headers=AUTH)).status_code == 202
    assert (await contacts_of(client, "C-9"))[1] == []
    assert (await contacts_of(client, "C-10"))[1] == [("zalo", "z-1"), ("telegram", "123")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"customer__contacts": [{"channel": "sms", "address": "1"}]},
            "customer.contacts[0].channel",
            "'telegram', 'zalo', 'messenger' or 'whatsapp'",
        ),
        (
            {"customer__contacts": [{"channel": "telegram", "address": "@lan"}]},
            "customer.contacts[0]",
            "a positive whole number",
        ),
        (
            {"customer__contacts": [{"channel": "zalo", "address": ""}]},
            "customer.contacts[0].address",
            "at least 1 character",
        ),
        (
            {"customer__contacts": [{"channel": "zalo"}]},
            "customer.contacts[0].address",
            "Field required",
        ),
        ({"customer__phone": "0901234567"}, "customer.phone", "pattern"),
        (
            {"customer__contacts": [{"channel": "zalo", "address": str(n)} for n in range(11)]},
            "customer.contacts",
            "at most 10",
        ),
    ],
)
async def test_a_bad_contact_is_422_naming_it(client, changes, field, message):
    response = await client.post("/api/v1/events", json=event_body(**changes), headers=AUTH)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["field"] == field and message in d["message"] for d in detail), detail


def test_an_event_without_contacts_keeps_the_fingerprint_it_had_before_them():
    assert PurchaseEvent.model_validate(event_body()).fingerprint() == FINGERPRINT_BEFORE_CONTACTS


def test_contacts_change_the_fingerprint():
    with_zalo = event_body(customer__contacts=[{"channel": "zalo", "address": "z-1"}])
    assert PurchaseEvent.model_validate(with_zalo).fingerprint() != FINGERPRINT_BEFORE_CONTACTS

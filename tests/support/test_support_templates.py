"""Every support-side template renders to valid Telegram HTML, in both languages."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.messaging.rich_text import MESSAGE_TEXT_LIMIT, html_problems, visible_length
from bot.support.cards import CaseCards, CaseView, SupportConfig

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def view(status: str, **changes) -> CaseView:
    values = dict(
        id=12,
        severity="high",
        status=status,
        opened_at=NOW,
        sla_due_at=NOW + timedelta(hours=4),
        claimed_by="Minh <dev>" if status != "open" else None,
        claimed_at=NOW if status != "open" else None,
        resolved_by="Minh" if status == "resolved" else None,
        resolved_at=NOW if status == "resolved" else None,
        customer_name="Lan & co",
        customer_id="C-9",
        order_id="SO-1",
        store="HN-01",
        scores="CSAT 2/5 · NPS 3/10",
        reason="Late <delivery>",
        comment="Too slow & rude",
    )
    return CaseView(**(values | changes))


@pytest.fixture(params=["en", "vi"])
def cards(request, texts):
    config = SupportConfig(
        -100,
        -200,
        request.param,
        ZoneInfo("Asia/Ho_Chi_Minh"),
        False,
        "recovery",
        timedelta(hours=1),
    )
    return CaseCards(texts, config)


@pytest.mark.parametrize("status", ["open", "claimed", "resolved"])
def test_card_in_each_state_is_valid_html(cards, status):
    card = cards.card(view(status), NOW + timedelta(hours=1))
    assert html_problems(card.text) == []
    if status == "claimed":
        assert "Minh &lt;dev&gt;" in card.text
    assert "Lan &amp; co" in card.text


@pytest.mark.parametrize("template", ["reannounce", "escalation", "from_customer"])
def test_other_support_messages_are_valid_html(cards, template):
    text = cards.render(template, view("open"), NOW + timedelta(hours=5), text="<hi> & bye")
    assert text and html_problems(text) == []


def test_the_case_list_is_valid_html(cards):
    listing = cards.cases_list([view("open"), view("claimed", id=13)], NOW)
    assert html_problems(listing) == []
    assert "#12" in listing and "#13" in listing
    assert html_problems(cards.cases_list([], NOW)) == []


def test_a_long_case_list_fits_one_message(cards):
    many = [view("open", id=n, customer_name="N" * 120) for n in range(1, 201)]
    listing = cards.cases_list(many, NOW)
    assert visible_length(listing) <= MESSAGE_TEXT_LIMIT and html_problems(listing) == []
    assert "#30 " in listing and "#31 " not in listing and "170" in listing


def test_sla_labels_follow_the_clock(cards):
    due = view("open")
    assert cards.sla_label(due, NOW + timedelta(hours=1)) in ("in 3h", "còn 3h")
    assert cards.sla_label(due, NOW + timedelta(hours=3)) in ("due in 1h", "sắp đến hạn, còn 1h")
    assert cards.sla_label(due, NOW + timedelta(hours=5)) in ("overdue by 1h", "quá hạn 1h")


@pytest.mark.parametrize(
    ("phrase", "context"),
    [
        ("voucher_label", {}),
        ("voucher_sent", {"id": 3, "code": "SORRY-ABC", "name": "Minh <dev>"}),
        ("voucher_sent", {"id": 3, "code": "SORRY-ABC", "name": None}),
        ("voucher_exhausted", {"id": 3, "name": "Sorry & more"}),
        ("voucher_paused", {"name": "Sorry & more"}),
    ],
)
def test_voucher_notes_are_valid_html(cards, phrase, context):
    text = cards.phrase(phrase, **context)
    assert text and html_problems(text) == []
    assert "<dev>" not in text and "& " not in text  # escaped


@pytest.mark.parametrize("phrase", ["voucher_already", "voucher_sent_toast"])
def test_voucher_toasts_are_plain_text_for_a_button_answer(cards, phrase):
    toast = cards.phrase(phrase, id=3, code="SORRY-ABC")
    assert "<" not in toast and len(toast) <= 200

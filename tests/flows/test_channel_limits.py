"""`flows check` against the capabilities of each channel in use, naming the channel."""

import textwrap

from bot.app.channels import enabled_channels
from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.capabilities import WEB_CHAT
from bot.config import Settings
from bot.flows.catalog import check_directory
from bot.flows.check import check_flow
from bot.flows.loader import read_flow
from tests.harness import ROOT
from tests.messaging.tight_channel import TIGHT

HEADER = "id: t\nname: T\nlocales: [en]\nsteps:\n"


def problems(texts, steps, channels):
    loaded, found = read_flow((HEADER + textwrap.dedent(steps)).encode(), "t.yaml")
    assert loaded is not None, found
    return [p.message for p in check_flow(loaded, texts, channels)]


def end_step(text):
    return f"  - id: e\n    kind: end\n    text: '{text}'\n"


CHOICE = """\
  - id: q
    kind: choice
    text: Pick
    options:
      - {id: a, label: "Arrived later than promised"}
      - {id: b, label: B}
  - {id: e, kind: end, text: Bye}
"""


def test_a_text_too_long_for_one_channel_names_only_that_channel(texts):
    found = problems(texts, end_step('{{ "x" * 700 }}'), (TELEGRAM, TIGHT))
    assert found == [
        "text of step 'e' (en) is 700 characters with sample data: too long for tight (640)"
    ]


def test_a_text_too_long_for_several_channels_names_each(texts):
    (found,) = problems(texts, end_step('{{ "x" * 5000 }}'), (TELEGRAM, WEB_CHAT, TIGHT))
    assert found.endswith("too long for telegram (4096), web (4096), tight (640)")


def test_a_plain_channel_counts_the_links_it_writes_out(texts):
    link = '<a href="https://shop.test/' + "p" * 80 + '">here</a>'
    found = problems(texts, end_step('{{ "x" * 600 }} ' + link), (TELEGRAM, TIGHT))
    assert len(found) == 1 and "too long for tight (640)" in found[0]


def test_a_label_longer_than_a_channel_allows_names_the_channel(texts):
    (found,) = problems(texts, CHOICE, (TELEGRAM, TIGHT))
    assert found.startswith("label of option 'a' (en) is 27 characters; longer than tight (20)")


def test_without_channels_no_length_is_checked(texts):
    assert problems(texts, end_step('{{ "x" * 5000 }}'), ()) == []
    assert problems(texts, CHOICE, ()) == []


def test_the_shipped_flows_fit_telegram_and_the_web(texts):
    catalog, found = check_directory(ROOT / "flows", texts, (TELEGRAM, WEB_CHAT))
    assert found == [] and len(catalog) == 2


def test_the_web_chat_is_always_on_and_telegram_with_a_token():
    assert enabled_channels(Settings(telegram_token=None)) == [WEB_CHAT]
    assert enabled_channels(Settings(telegram_token="123:abc")) == [TELEGRAM, WEB_CHAT]

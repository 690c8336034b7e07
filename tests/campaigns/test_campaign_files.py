"""Campaign files: the shipped ones load; each kind of mistake names file, line and fix."""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.campaigns.catalog import check_campaigns, reward_problems
from bot.campaigns.schema import Validity
from bot.campaigns.voucher_display import voucher_context
from bot.flows.catalog import check_directory
from bot.messaging.texts import MessageTexts
from tests.harness import ROOT

TEXTS = MessageTexts(ROOT / "templates")

GOOD = """id: spring
name: Spring
reward: {percent: 10}
codes: {source: generated, prefix: "SPR-"}
validity: {days: 30}
message: "Code <code>{{ voucher.code }}</code>"
"""


def check(tmp_path: Path, text: str):
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    return check_campaigns(tmp_path, TEXTS)


def test_the_shipped_campaigns_load_and_match_the_shipped_flows():
    catalog, problems = check_campaigns(ROOT / "campaigns", TEXTS)
    assert problems == []
    assert {"thank_you", "we_are_sorry", "monthly_draw"} <= set(catalog.campaigns)
    assert [c.id for c in catalog.compensation()] == ["we_are_sorry"]
    flows, _ = check_directory(ROOT / "flows", TEXTS)
    assert reward_problems(flows, catalog) == []


@pytest.mark.parametrize(
    ("change", "line", "message", "fix"),
    [
        (("reward: {percent: 10}", "reward: {percent: 10, colour: red}"), 3, "colour", ""),
        (("reward: {percent: 10}", "reward: {percent: 150}"), 3, "percent", ""),
        (("reward: {percent: 10}", "reward: {amount: 5}"), 3, "currency", ""),
        (("source: generated", "source: magic"), 4, "source", "generated or pool"),
        (('prefix: "SPR-"', 'prefix: "spr"'), 4, "prefix", "capital letters"),
        (("{days: 30}", "{days: 30, until: 2027-01-01}"), 5, "validity", ""),
        (("{{ voucher.code }}", "{{ voucher.nope }}"), 6, "message (vi)", "voucher.code"),
        (("<code>{{", "<blink>{{"), 6, "message", "Telegram accepts"),
        (("id: spring", "id: Spring!"), 1, "id", "lowercase"),
    ],
)
def test_mistakes_are_reported_where_they_are(tmp_path, change, line, message, fix):
    catalog, problems = check(tmp_path, GOOD.replace(*change))
    assert catalog.campaigns == {}
    assert problems, "expected a problem"
    problem = problems[0]
    assert problem.file.endswith("c.yaml")
    assert problem.line == line, str(problem)
    assert message in problem.message or message in problem.fix, str(problem)
    assert fix in problem.fix, str(problem)


def test_a_draw_needs_its_schedule_and_a_valid_cron(tmp_path):
    draw = GOOD.replace("id: spring", "id: lucky\nkind: draw")
    _, problems = check(tmp_path, draw)
    assert "draw" in problems[0].message
    _, problems = check(tmp_path, draw + 'draw: {winners: 3, schedule: "0 25 1 * *"}\n')
    assert "valid cron" in problems[0].message and problems[0].line == 8


def test_a_percent_reward_cannot_have_a_value_budget(tmp_path):
    _, problems = check(tmp_path, GOOD + "budget: {max_value: 100}\n")
    assert "max_vouchers" in problems[0].message + problems[0].fix


def test_a_reward_that_names_no_campaign_is_a_flow_problem(tmp_path):
    catalog, _ = check(tmp_path, GOOD)
    flows, _ = check_directory(ROOT / "flows", TEXTS)
    [problem] = reward_problems(flows, catalog)
    assert problem.file.endswith("post_purchase.yaml")
    assert "thank_you" in problem.message and "spring" in problem.fix
    source = (ROOT / "flows" / "post_purchase.yaml").read_text().splitlines()
    assert "reward: thank_you" in source[problem.line - 1]


def test_a_validity_date_ends_at_midnight_in_the_shops_own_time():
    saigon = ZoneInfo("Asia/Ho_Chi_Minh")
    issued = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
    expires = Validity(until=date(2027, 1, 31)).expires(issued, saigon)
    assert expires == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)  # 00:00 on 1 Feb in Saigon
    assert Validity(days=30).expires(issued, saigon) == datetime(2027, 2, 9, 3, 0, tzinfo=UTC)
    catalog, _ = check_campaigns(ROOT / "campaigns", TEXTS)
    campaign = catalog.campaigns["thank_you"]
    shown = voucher_context(campaign, "TKS-X", expires, "en", saigon)
    assert shown["expires"] == "31/01/2027"  # the last day it works

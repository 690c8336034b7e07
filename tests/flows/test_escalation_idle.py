"""`escalate.idle`: how long a customer who stops part-way may stay quiet before their case
opens (the behaviour is in tests/support/test_idle_escalation.py)."""

from datetime import timedelta

from bot.flows.check import check_flow
from bot.flows.loader import read_flow
from bot.flows.schema import EndStep
from tests.flow_samples import flow_from_yaml

FLOW = """
    id: f
    name: F
    locales: [en]
    steps:
      - {{id: csat, kind: csat, text: "How was it?"}}
      - id: bye
        kind: end
        text: Thanks!
        escalate: {{when: csat <= 2{idle}}}
"""


def escalation(idle: str = ""):
    step = flow_from_yaml(FLOW.format(idle=idle)).step("bye")
    assert isinstance(step, EndStep) and step.escalate is not None
    return step.escalate


def test_idle_defaults_to_fifteen_minutes():
    assert escalation().idle == timedelta(minutes=15)


def test_idle_is_a_duration():
    assert escalation(", idle: 1h30m").idle == timedelta(hours=1, minutes=30)


def test_idle_null_opens_cases_only_at_the_end_step():
    assert escalation(", idle: null").idle is None


def test_reachable_from_follows_rules_and_the_step_below(simple_flow):
    assert simple_flow.reachable_from("csat") == {"csat", "reason", "nps", "ces", "comment", "bye"}
    assert simple_flow.reachable_from("nps") == {"nps", "ces", "comment", "bye"}
    assert simple_flow.reachable_from("bye") == {"bye"}


def test_the_default_idle_does_not_make_a_flow_with_a_short_expire_invalid():
    source = (
        "id: quick\nname: Q\nlocales: [en]\ntrigger: {on: order.delivered, expire: 8s}\n"
        'steps:\n  - {id: nps, kind: nps, text: "Recommend?"}\n'
        "  - {id: bye, kind: end, text: Bye, escalate: {when: nps <= 6}}\n"
    )
    loaded, problems = read_flow(source.encode(), "quick.yaml")
    assert loaded is not None and problems == []
    assert check_flow(loaded, None) == []

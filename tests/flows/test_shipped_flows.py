"""The flows shipped in flows/ pass every check, in every locale they declare."""

from pathlib import Path

from bot.flows.catalog import check_directory
from bot.flows.sample_data import sample_context
from bot.messaging.presenter import Presenter
from bot.messaging.rich_text import html_problems
from bot.surveys import engine
from bot.surveys.engine import Pressed, SkipStep, Typed

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_flows_have_no_problems(texts):
    catalog, problems = check_directory(ROOT / "flows", texts)
    assert problems == []
    assert catalog.default() is not None and catalog.default().id == "post_purchase"


def test_post_purchase_speaks_vietnamese_first_then_english(texts):
    catalog, _ = check_directory(ROOT / "flows", texts)
    flow = catalog.get("post_purchase")
    assert flow.locales == ["vi", "en"]
    assert flow.pick_locale("en-US") == "en"
    assert flow.pick_locale("fr") == "vi"


def test_post_purchase_detractor_path_in_both_languages(texts):
    catalog, _ = check_directory(ROOT / "flows", texts)
    flow = catalog.get("post_purchase")
    presenter = Presenter(texts)
    for locale in flow.locales:
        t = engine.start(flow)
        steps = ["csat"]
        for make in (
            lambda s: Pressed(s.visit, "2"),
            lambda s: Pressed(s.visit, "late"),
            lambda s: Pressed(s.visit, "3"),
            lambda s: Pressed(s.visit, "4"),
            lambda s: SkipStep(s.visit),
        ):
            t = engine.handle(flow, t.state, make(t.state))
            steps.append(t.state.step_id)
        assert steps == ["csat", "why", "nps", "ces", "comment", "thanks"]
        assert any(isinstance(a, engine.Escalate) for a in t.actions)
        context = sample_context(locale)
        context["answers"] = engine.answer_scope(flow, t.state.answers)
        closing = presenter.step_text(flow, "thanks", locale, context)
        assert html_problems(closing) == []


def test_post_purchase_promoter_goes_straight_to_nps(texts):
    catalog, _ = check_directory(ROOT / "flows", texts)
    flow = catalog.get("post_purchase")
    t = engine.handle(flow, engine.start(flow).state, Typed("5"))
    assert t.state.step_id == "nps"


def test_committed_json_schema_is_current():
    import json

    from bot.flows.schema import flow_json_schema

    committed = json.loads((ROOT / "docs" / "flow.schema.json").read_text(encoding="utf-8"))
    assert committed == flow_json_schema(), "run `make schema` and commit docs/flow.schema.json"

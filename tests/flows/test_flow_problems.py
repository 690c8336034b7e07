"""Each kind of broken flow gives a precise error: the line, what is wrong, how to fix it."""

import textwrap

import pytest

from bot.channels.telegram.capabilities import TELEGRAM
from bot.flows.check import check_flow
from bot.flows.loader import read_flow

HEADER = """\
id: broken
name: Broken
locales: [en]
steps:
"""

CASES = [
    pytest.param(
        HEADER + "  - id: q\n    kind: csat\n    tex: hi\n  - {id: end, kind: end, text: bye}\n",
        7,
        "unknown key 'tex' in step 'q'",
        "did you mean 'text'?",
        id="unknown-key-in-step",
    ),
    pytest.param(
        "id: broken\nname: B\nlocale: [en]\nlocales: [en]\nsteps:\n"
        "  - {id: e, kind: end, text: x}\n",
        3,
        "unknown key 'locale'",
        "did you mean 'locales'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        HEADER + "  - id: q\n    kind: rating\n    text: hi\n  - {id: end, kind: end, text: bye}\n",
        5,
        "unknown step kind 'rating'",
        "csat, nps, ces, choice, text, end",
        id="unknown-kind",
    ),
    pytest.param(
        HEADER + "  - id: q\n    text: hi\n",
        5,
        "step has no `kind`",
        "add `kind:`",
        id="missing-kind",
    ),
    pytest.param(
        HEADER + "  - id: q\n    kind: csat\n  - {id: end, kind: end, text: bye}\n",
        5,
        "missing key 'text' in step 'q'",
        "add `text: ...`",
        id="missing-text",
    ),
    pytest.param(
        HEADER + "  - id: Bad Id\n    kind: end\n    text: x\n",
        5,
        "'Bad Id' is not a valid id",
        "lowercase letters",
        id="bad-id",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n    next:\n      - goto: nowhere\n"
        + "  - {id: end, kind: end, text: bye}\n",
        9,
        "goto 'nowhere' in step 'q' names no step",
        "steps are: q, end",
        id="goto-missing-step",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n    next:\n      - goto: end\n"
        + "  - {id: orphan, kind: nps, text: x}\n  - {id: end, kind: end, text: bye}\n",
        10,
        "step 'orphan' can never be reached",
        "point a `goto` at it",
        id="unreachable-step",
    ),
    pytest.param(
        HEADER
        + "  - id: a\n    kind: csat\n    text: x\n    next: [{goto: b}]\n"
        + "  - id: b\n    kind: nps\n    text: y\n    next: [{goto: a}]\n"
        + "  - {id: end, kind: end, text: bye}\n",
        5,
        "steps a -> b -> a form a loop with no way to an end step",
        "leads out of the loop",
        id="cycle-without-exit",
    ),
    pytest.param(
        HEADER + "  - id: q\n    kind: csat\n    text: hi\n",
        5,
        "the flow has no end step",
        "kind: end",
        id="no-end-step",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n    next:\n      - when: nsp <= 6\n"
        + "        goto: end\n  - {id: end, kind: end, text: bye}\n",
        9,
        "uses 'nsp', which is not an answer",
        "answers are: csat, q",
        id="unknown-name-in-condition",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n    next:\n      - when: csat +\n"
        + "        goto: end\n  - {id: end, kind: end, text: bye}\n",
        9,
        "cannot read 'csat +'",
        "nps <= 6",
        id="broken-condition",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n    next:\n      - goto: end\n"
        + "      - when: csat > 3\n        goto: end\n  - {id: end, kind: end, text: bye}\n",
        9,
        "rule 1 of step 'q' has no `when`",
        "move the rule without `when` to the end",
        id="fallback-not-last",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\ntrigger:\n  on: order.delivered\n  delay: 2 hours\n"
        "steps:\n  - {id: e, kind: end, text: x}\n",
        6,
        "'2 hours' is not a duration",
        "45s, 15m, 2h, 3d",
        id="bad-duration",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\ntrigger:\n  on: order.delivered\n"
        "  send_window: '9am-5pm'\nsteps:\n  - {id: e, kind: end, text: x}\n",
        6,
        "is not a time window",
        '"09:00-21:00"',
        id="bad-send-window",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\ntrigger:\n  on: order.delivered\n"
        "  reminder: 3d\n  expire: 1d\nsteps:\n  - {id: e, kind: end, text: x}\n",
        5,
        "reminder (3d) must come before expire (1d)",
        "shorten the reminder",
        id="reminder-after-expiry",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n  - id: end\n    kind: end\n    text: bye\n"
        + "    escalate:\n      when: csat <= 2\n      idle: 0s\n",
        13,
        "idle: must be longer than 0s in step 'end'",
        "`idle: null`",
        id="escalation-idle-zero",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: csat\n    text: hi\n  - id: end\n    kind: end\n    text: bye\n"
        + "    escalate: {when: csat <= 2, idle: soon}\n",
        11,
        "'soon' is not a duration",
        "45s, 15m, 2h, 3d",
        id="escalation-idle-not-a-duration",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\ntrigger:\n  on: order.delivered\n  expire: 1h\n"
        "steps:\n  - {id: q, kind: csat, text: hi}\n  - id: end\n    kind: end\n    text: bye\n"
        "    escalate: {when: csat <= 2, idle: 2h}\n",
        12,
        "escalate.idle (2h) in step 'end' is not shorter than trigger.expire (1h)",
        "shorten idle",
        id="escalation-idle-beyond-expiry",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\ntrigger:\n  on: order.delivered\n  sample: 2\n"
        "steps:\n  - {id: e, kind: end, text: x}\n",
        6,
        "sample",
        "between 0 and 1",
        id="sample-out-of-range",
    ),
    pytest.param(
        HEADER
        + "  - id: q\n    kind: choice\n    text: hi\n    options:\n"
        + "      - {id: a, label: A}\n      - {id: a, label: B}\n"
        + "  - {id: end, kind: end, text: x}\n",
        10,
        "option id 'a' is used twice in step 'q'",
        "unique id",
        id="duplicate-option",
    ),
    pytest.param(
        HEADER + "  - id: q\n    kind: csat\n    text: hi\n  - id: q\n    kind: end\n    text: x\n",
        8,
        "step id 'q' is used twice (first on line 5)",
        "its own id",
        id="duplicate-step-id",
    ),
    pytest.param(
        HEADER + "  - id: q\n    kind: csat\n    text: hi\n  - id: z\n    kind: nps\n    text: x\n",
        8,
        "step 'z' is last but is not an end step",
        "add an end step",
        id="falls-off-the-end",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\nchannels: [zalo, line]\nsteps:\n"
        "  - {id: e, kind: end, text: x}\n",
        4,
        "channels: Input should be 'telegram', 'zalo', 'messenger' or 'whatsapp'",
        "docs/flows.md",
        id="unknown-channel",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\nchannels: [zalo, zalo]\nsteps:\n"
        "  - {id: e, kind: end, text: x}\n",
        4,
        "a channel is listed twice",
        "preferred first",
        id="channel-listed-twice",
    ),
    pytest.param(
        "id: broken\nname: B\nlocales: [en]\nsteps:\n  - id: q\n    kind: csat\n    text: [hi\n",
        8,
        "this is not valid YAML",
        "fix the YAML",
        id="yaml-syntax",
    ),
]


@pytest.mark.parametrize(("source", "line", "message", "fix"), CASES)
def test_broken_flow_is_reported_precisely(source, line, message, fix):
    loaded, problems = read_flow(source.encode(), "flows/broken.yaml")
    if loaded is not None:
        problems = check_flow(loaded, None)
    assert problems, "expected a problem"
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    problem = matching[0]
    assert problem.file == "flows/broken.yaml"
    assert problem.line == line, str(problem)
    assert fix in problem.fix, str(problem)
    assert str(problem).startswith(f"flows/broken.yaml:{line}:")


TEXT_HEADER = "id: t\nname: T\nlocales: [en, vi]\nsteps:\n"


def text_problems(texts, steps: str, channels=(TELEGRAM,)):
    loaded, problems = read_flow((TEXT_HEADER + textwrap.dedent(steps)).encode(), "t.yaml")
    assert loaded is not None, problems
    return check_flow(loaded, texts, channels)


def test_missing_template_file_names_the_file_to_create(texts):
    problems = text_problems(texts, "  - {id: e, kind: end, text: nowhere/bye.j2}\n")
    assert any(
        "template 'nowhere/bye.j2' does not exist for locale 'en'" in p.message for p in problems
    )
    assert any("templates/messages/en/nowhere/bye.j2" in p.fix for p in problems)


def test_missing_locale_text_is_reported(texts):
    problems = text_problems(texts, "  - id: e\n    kind: end\n    text: {en: Bye}\n")
    assert [p.message for p in problems] == ["step 'e' has no text for locale 'vi'"]
    assert problems[0].line == 7


def test_template_that_fails_with_sample_data_is_reported(texts):
    problems = text_problems(texts, "  - id: e\n    kind: end\n    text: 'Hi {{ custmer.name }}'\n")
    assert problems and "fails with sample data" in problems[0].message
    assert "custmer" in problems[0].message


def test_markup_telegram_refuses_is_reported(texts):
    problems = text_problems(texts, "  - id: e\n    kind: end\n    text: '<div>Hi</div>'\n")
    assert any("<div> is not supported by Telegram" in p.message for p in problems)


def test_unclosed_tag_is_reported(texts):
    problems = text_problems(texts, "  - id: e\n    kind: end\n    text: '<b>Hi'\n")
    assert any("<b> is never closed" in p.message for p in problems)


def test_text_over_telegram_limit_is_reported(texts):
    problems = text_problems(texts, "  - id: e\n    kind: end\n    text: '{{ \"x\" * 5000 }}'\n")
    assert any("5000 characters" in p.message for p in problems)


def test_overlong_button_label_is_reported(texts):
    long_label = "L" * 70
    problems = text_problems(
        texts,
        f"""\
          - id: q
            kind: choice
            text: Pick
            options:
              - {{id: a, label: {long_label}}}
              - {{id: b, label: B}}
          - {{id: e, kind: end, text: Bye}}
        """,
    )
    assert any("label of option 'a' (en) is 70 characters" in p.message for p in problems)


def test_all_problems_are_reported_not_just_the_first():
    source = HEADER + "  - id: q\n    kind: csat\n    tex: hi\n    nxt: []\n"
    _, problems = read_flow(source.encode(), "x.yaml")
    assert {p.line for p in problems} >= {7, 8}


def test_text_that_breaks_when_a_question_was_skipped_is_reported(texts):
    problems = text_problems(
        texts,
        "  - id: n\n    kind: nps\n    text: x\n  - id: e\n    kind: end\n"
        "    text: '{% if answers.nps >= 9 %}Great{% endif %}'\n",
    )
    assert any(
        "fails with sample data" in p.message and "TypeError" in p.message for p in problems
    ), [str(p) for p in problems]


def test_a_missing_bot_phrase_is_reported(texts, tmp_path):
    import shutil

    from bot.messaging.texts import MessageTexts

    shutil.copytree(texts.messages_dir.parent, tmp_path / "templates")
    (tmp_path / "templates/messages/en/bot/help.j2").unlink()
    (tmp_path / "templates/messages/vi/bot/help.j2").unlink()
    problems = text_problems(
        MessageTexts(tmp_path / "templates"), "  - {id: e, kind: end, text: Bye}\n"
    )
    assert any("phrase 'help'" in p.message for p in problems)

import json
import logging

from bot.logging_setup import JsonFormatter, TextFormatter


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("bot.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(entry, key, value)
    return entry


def test_json_logs_are_one_object_per_line_with_the_event_fields():
    line = JsonFormatter().format(record("survey skipped", survey_id=7, reason="cooldown"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "survey skipped"
    assert (entry["survey_id"], entry["reason"], entry["level"]) == (7, "cooldown", "info")


def test_text_logs_carry_the_same_fields():
    line = TextFormatter().format(record("survey sent", survey_id=7))
    assert line.endswith("bot.test: survey sent survey_id=7")

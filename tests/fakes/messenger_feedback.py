"""The customer feedback template: its shape as Meta documents it, and the scores it takes.

After /work/notes/messenger-rules.md §4 (Meta's Customer Feedback Template page). Stricter
than documented on purpose: unknown keys are refused (a misspelt `expires_in_days` would
otherwise silently become the 1-day default), and `score_option` takes only the names of the
"Score Types" section.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.messenger_models import FeedbackForm, invalid

MAX_TITLE = 65
MAX_SUBTITLE = 80
MAX_BUTTON_TITLE = 20
QUESTION_TITLE = (5, 85)
MAX_PLACEHOLDER = 65
MAX_QUESTION_ID = 80
MAX_COMMENT = 400  # the free-form input's character limit
EXPIRY_DAYS = (1, 7)
DEFAULT_EXPIRY_DAYS = 1

SCORE_OPTIONS = {
    "csat": ("one_to_five", "five_stars", "five_emojis"),
    "nps": ("zero_to_ten",),
    "ces": ("one_to_seven",),
    "free_form": (),
}
SCORES = {"csat": range(1, 6), "nps": range(0, 11), "ces": range(1, 8)}
SCORE_LABELS = ("neg_pos", "hard_easy", "dis_sat", "unlike_like", "poor_great", "none")
PAYLOAD_KEYS = {
    "template_type",
    "title",
    "subtitle",
    "button_title",
    "feedback_screens",
    "business_privacy",
    "expires_in_days",
}
QUESTION_KEYS = {"id", "type", "title", "score_label", "score_option", "follow_up"}
ID_RE = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_QUESTION_ID}}}")
URL_IN_TEXT_RE = re.compile(r"https?://|www\.", re.IGNORECASE)
URL_RE = re.compile(r"https?://\S+$")


def feedback_template(payload: dict[str, Any]) -> FeedbackForm:
    unknown = sorted(set(payload) - PAYLOAD_KEYS)
    if unknown:
        raise invalid(f"customer_feedback template: unknown fields {unknown}")
    _text(payload.get("title"), "title", 1, MAX_TITLE, required=True)
    _text(payload.get("subtitle"), "subtitle", 1, MAX_SUBTITLE, required=True)
    _text(payload.get("button_title"), "button_title", 1, MAX_BUTTON_TITLE, required=True)
    question = _only_question(payload.get("feedback_screens"))
    _privacy(payload.get("business_privacy"))
    return FeedbackForm(
        question_id=question["id"],
        question_type=question["type"],
        follow_up="follow_up" in question,
        expires_in_days=_expiry(payload.get("expires_in_days", DEFAULT_EXPIRY_DAYS)),
    )


def _only_question(screens: Any) -> dict[str, Any]:
    if not isinstance(screens, list) or len(screens) != 1 or not isinstance(screens[0], dict):
        raise invalid("feedback_screens must hold exactly one screen")
    questions = screens[0].get("questions")
    if set(screens[0]) != {"questions"}:
        raise invalid("a feedback screen holds only 'questions'")
    if not isinstance(questions, list) or len(questions) != 1:
        raise invalid("a feedback screen must hold exactly one question")
    return _question(questions[0])


def _question(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid("questions[0] must be an object")
    unknown = sorted(set(raw) - QUESTION_KEYS)
    if unknown:
        raise invalid(f"questions[0]: unknown fields {unknown}")
    if not isinstance(raw.get("id"), str) or ID_RE.fullmatch(raw["id"]) is None:
        raise invalid(
            f"questions[0][id] must be 1 to {MAX_QUESTION_ID} letters, digits or underscores"
        )
    kind = raw.get("type")
    if kind not in SCORE_OPTIONS:
        raise invalid(f"questions[0][type] must be one of {sorted(SCORE_OPTIONS)}")
    if "title" in raw:
        _text(raw["title"], "questions[0][title]", *QUESTION_TITLE, required=True)
    if "score_label" in raw and raw["score_label"] not in SCORE_LABELS:
        raise invalid(f"questions[0][score_label] must be one of {SCORE_LABELS}")
    if "score_option" in raw and raw["score_option"] not in SCORE_OPTIONS[kind]:
        raise invalid(f"questions[0][score_option] for {kind} must be one of {SCORE_OPTIONS[kind]}")
    if "follow_up" in raw:
        _follow_up(raw["follow_up"], kind)
    return raw


def _follow_up(raw: Any, kind: str) -> None:
    if kind == "free_form":
        raise invalid("a free_form question cannot have a follow_up: one free-form input only")
    extra = set(raw) - {"type", "placeholder"} if isinstance(raw, dict) else set()
    if not isinstance(raw, dict) or raw.get("type") != "free_form" or extra:
        raise invalid("follow_up must be {type: free_form, placeholder?}")
    if "placeholder" in raw:
        _text(raw["placeholder"], "follow_up[placeholder]", 1, MAX_PLACEHOLDER, required=True)


def _privacy(raw: Any) -> None:
    url = raw.get("url") if isinstance(raw, dict) else None
    if not isinstance(url, str) or URL_RE.match(url) is None:
        raise invalid("business_privacy[url] is required: the link to your privacy policy")


def _expiry(days: Any) -> int:
    low, high = EXPIRY_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise invalid(f"expires_in_days must be a whole number from {low} to {high}")
    return days


def _text(value: Any, name: str, low: int, high: int, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise invalid(f"{name} must be a string of {low} to {high} characters")
    if URL_IN_TEXT_RE.search(value):
        raise invalid(f"{name} may not contain URLs")


def answer_payload(form: FeedbackForm, score: int | str) -> str:
    """The `payload` the webhook carries for `score`: a string, as Meta sends it. Raises
    AssertionError for a score the form cannot produce (a mistake in the test)."""
    if form.question_type == "free_form":
        if not isinstance(score, str) or not 1 <= len(score) <= MAX_COMMENT:
            raise AssertionError(f"a free_form answer is text of 1 to {MAX_COMMENT} characters")
        return score
    if isinstance(score, bool) or not isinstance(score, int):
        raise AssertionError(f"a {form.question_type} score is a whole number, not {score!r}")
    if score not in SCORES[form.question_type]:
        scores = SCORES[form.question_type]
        raise AssertionError(
            f"a {form.question_type} score is {scores.start} to {scores.stop - 1}, not {score}"
        )
    return str(score)


def check_comment(form: FeedbackForm, comment: str | None) -> None:
    if comment is None:
        return
    if not form.follow_up:
        raise AssertionError(f"question {form.question_id} has no free-form follow_up")
    if not 1 <= len(comment) <= MAX_COMMENT:
        raise AssertionError(f"a follow_up comment is 1 to {MAX_COMMENT} characters")

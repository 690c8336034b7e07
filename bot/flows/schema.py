"""The flow schema: what a `flows/*.yaml` file may say, validated strictly.

Unknown keys are rejected, ids are stable identifiers, the first matching `next` rule wins
and a step without a matching rule falls through to the step below it. `surveybot flows
schema` prints the JSON Schema generated from these models; docs/flows.md explains it.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.durations import format_duration, parse_duration
from bot.errors import ExpressionError
from bot.flows.expressions import Condition, parse_condition
from bot.messaging.locales import choose_locale

IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
OPTION_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,23}$"
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"
TEMPLATE_SUFFIX = ".j2"
TEXT_ANSWER_LIMIT = 4000  # the longest a text step may accept (a Telegram message is 4096)
# No wait in a survey is longer; sums of durations stay far from datetime's year 9999.
LONGEST_DURATION = timedelta(days=3650)
# Without `max_age` or `expire`, an event this much older than its `delay` is stale.
DEFAULT_STALE_MARGIN = timedelta(days=7)
# How long a customer who stops part-way may stay quiet before their case opens anyway.
DEFAULT_ESCALATION_IDLE = timedelta(minutes=15)

Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
OptionId = Annotated[str, StringConstraints(pattern=OPTION_ID_PATTERN)]
Locale = Annotated[str, StringConstraints(pattern=LOCALE_PATTERN)]
# The channels a customer can have a contact on (bot.config.CHANNEL_NAMES, the events API's).
ChannelName = Literal["telegram", "zalo", "messenger", "whatsapp"]


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"{value!r} is not a duration; write it as text with a unit: 45s, 15m, 2h, 3d"
        )
    return parse_duration(value, longest=LONGEST_DURATION)


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d+[smhdw])+$",
            "description": "A duration: 45s, 15m, 2h, 3d, 1w, or combined like 1h30m "
            "(at most 3650d).",
            "examples": ["2h", "3d"],
        }
    ),
]


def _condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    if not isinstance(value, str):
        raise ValueError(f"a condition is text like 'nps <= 6', not {value!r}")
    try:
        return parse_condition(value)
    except ExpressionError as exc:
        raise ValueError(str(exc)) from None


ConditionField = Annotated[
    Condition,
    BeforeValidator(_condition),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A condition over answers, e.g. `nps <= 6 or csat <= 2`.",
            "examples": ["nps <= 6", 'reason == "late"'],
        }
    ),
]

# Text is a template file name (`post_purchase/csat.j2`, looked up in
# templates/messages/<locale>/), inline Jinja2 text, or a mapping locale -> either of those.
LocalizedText = str | dict[Locale, str]


class StepKind(StrEnum):
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"
    CHOICE = "choice"
    TEXT = "text"
    END = "end"


SCALES: dict[StepKind, tuple[int, int]] = {
    StepKind.CSAT: (1, 5),
    StepKind.NPS: (0, 10),
    StepKind.CES: (1, 7),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SendWindow(_Strict):
    """Local hours in which a survey may be sent, like `09:00-21:00` (may cross midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, value: Any) -> SendWindow:
        if isinstance(value, SendWindow):
            return value
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(value))
        if not match:
            raise ValueError(f'{value!r} is not a time window; write it like "09:00-21:00"')
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60) or (h2 == 24 and m2):
            raise ValueError(f"{value!r} has an hour or minute out of range (00:00-24:00)")
        start, end = time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)
        if start == end and h2 != 24:
            raise ValueError(f"{value!r} is empty; the start and the end must differ")
        return cls(start=start, end=end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


WindowField = Annotated[
    SendWindow,
    BeforeValidator(SendWindow.parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
            "description": "Customer-local hours when sending is allowed, e.g. 09:00-21:00.",
        }
    ),
]


class Trigger(_Strict):
    """When a survey is sent: after which event, how long after, and how often at most."""

    on: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")] = Field(
        description="Event type that starts this flow, e.g. order.delivered."
    )
    delay: Duration = Field(default=timedelta(0), description="Wait this long after the event.")
    send_window: WindowField | None = Field(
        default=None, description="Only send inside these customer-local hours."
    )
    reminder: Duration | None = Field(
        default=None, description="Remind once if unanswered this long after sending."
    )
    expire: Duration | None = Field(
        default=None, description="Close the survey this long after sending."
    )
    cooldown: Duration | None = Field(
        default=None, description="Skip customers surveyed more recently than this."
    )
    sample: float = Field(default=1.0, ge=0.0, le=1.0, description="Share of events surveyed.")
    max_age: Duration | None = Field(
        default=None,
        description="Skip (reason stale) events that arrive longer than this after they "
        "happened. Default: delay + expire, or delay + 7d without expire.",
    )

    @property
    def stale_after(self) -> timedelta:
        """How old an event may be when it arrives and still be surveyed. By default, as
        old as it can be while its survey, had it come on time, would still be open."""
        if self.max_age is not None:
            return self.max_age
        return self.delay + (self.expire if self.expire is not None else DEFAULT_STALE_MARGIN)

    @model_validator(mode="after")
    def _max_age_positive(self) -> Trigger:
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise ValueError(
                "max_age must be longer than 0s; leave it out for the default, delay + expire"
            )
        return self

    @model_validator(mode="after")
    def _reminder_before_expiry(self) -> Trigger:
        if self.reminder is not None and self.expire is not None and self.reminder >= self.expire:
            raise ValueError(
                f"reminder ({format_duration(self.reminder)}) must come before expire "
                f"({format_duration(self.expire)}); shorten the reminder or lengthen expire"
            )
        return self


class Rule(_Strict):
    """Go to `goto` when `when` holds; a rule without `when` always matches."""

    when: ConditionField | None = None
    goto: Identifier


class Escalation(_Strict):
    """Open a support case when `when` holds at this end step, or, for a customer who stops
    answering part-way, `idle` after their last answer when `when` already holds on what
    they answered."""

    when: ConditionField
    sla: Duration = Field(default=timedelta(hours=4), description="Time to resolve the case.")
    idle: Duration | None = Field(
        default=DEFAULT_ESCALATION_IDLE,
        description="When the customer stops answering part-way and `when` already holds on "
        "what they answered, open the case this long after their last answer; null: only "
        "at the end step.",
    )

    @field_validator("idle")
    @classmethod
    def _idle_positive(cls, idle: timedelta | None) -> timedelta | None:
        if idle is not None and idle <= timedelta(0):
            raise ValueError(
                "must be longer than 0s; leave it out for "
                f"{format_duration(DEFAULT_ESCALATION_IDLE)}, or write `idle: null` to open "
                "cases only at the end step"
            )
        return idle


class Option(_Strict):
    id: OptionId
    label: LocalizedText


class _StepBase(_Strict):
    id: Identifier
    text: LocalizedText
    next: list[Rule] = Field(
        default_factory=list,
        description="Rules tried in order; with none matching, the step below comes next.",
    )


class ScaleStep(_StepBase):
    """A 1-5 CSAT, 0-10 NPS or 1-7 CES question, answered with buttons or a number."""

    kind: Literal[StepKind.CSAT, StepKind.NPS, StepKind.CES]

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]


class ChoiceStep(_StepBase):
    """Pick one of a few options (buttons)."""

    kind: Literal[StepKind.CHOICE]
    options: list[Option] = Field(min_length=2, max_length=20)
    columns: int = Field(default=1, ge=1, le=4, description="Buttons per row.")


class TextStep(_StepBase):
    """Free text; `optional: true` adds a Skip button."""

    kind: Literal[StepKind.TEXT]
    optional: bool = False
    max_length: int = Field(default=1000, ge=1, le=TEXT_ANSWER_LIMIT)


class EndStep(_Strict):
    """The last message. May open a support case (`escalate`) or grant a reward."""

    id: Identifier
    kind: Literal[StepKind.END]
    text: LocalizedText
    escalate: Escalation | None = None
    reward: Identifier | None = Field(default=None, description="Campaign id to reward from.")


class MetricCutoffs(_Strict):
    """Where a flow's good answers start, for its reports (CSAT, NPS, CES). The defaults
    are the standard definitions; a flow overrides only what it must."""

    csat_satisfied_from: int = Field(
        default=4, ge=1, le=5, description="CSAT at or above this is satisfied (standard: 4)."
    )
    nps_promoter_from: int = Field(
        default=9, ge=0, le=10, description="NPS at or above this is a promoter (standard: 9)."
    )
    nps_detractor_to: int = Field(
        default=6, ge=0, le=10, description="NPS at or below this is a detractor (standard: 6)."
    )
    ces_easy_from: int = Field(
        default=5, ge=1, le=7, description="CES at or above this is easy (standard: 5)."
    )

    @model_validator(mode="after")
    def _detractors_below_promoters(self) -> MetricCutoffs:
        if self.nps_detractor_to >= self.nps_promoter_from:
            raise ValueError(
                f"nps_detractor_to ({self.nps_detractor_to}) must be below nps_promoter_from "
                f"({self.nps_promoter_from}): a score cannot be both"
            )
        return self


Step = Annotated[ScaleStep | ChoiceStep | TextStep | EndStep, Field(discriminator="kind")]
QuestionStep = ScaleStep | ChoiceStep | TextStep


# What a template parameter may be filled from (../shared/contracts/channels.md): a dotted
# path into the survey's context, not Jinja, so a shop's console-approved template gets
# exactly the field it was approved with.
TEMPLATE_FIELDS = (
    "customer.id",
    "customer.name",
    "customer.phone",
    "order.id",
    "order.amount",
    "order.currency",
    "order.store",
    "order.occurred_at",
    "survey.link",
)
TemplateField = Annotated[
    str,
    BeforeValidator(lambda value: _template_field(value)),
    WithJsonSchema({"enum": list(TEMPLATE_FIELDS)}),
]
TemplateParam = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,64}$")]


def _template_field(value: Any) -> str:
    if value not in TEMPLATE_FIELDS:
        raise ValueError(
            f"{value!r} is not a field a template can be filled from; use one of "
            + ", ".join(TEMPLATE_FIELDS)
        )
    return str(value)


class ZaloKeys(_Strict):
    """Zalo's part of a flow: a ZBS template that starts the survey where the OA may not
    write first (a buyer who never wrote, or whose 7-day window has closed)."""

    template: Annotated[
        str,
        BeforeValidator(lambda value: str(value) if isinstance(value, int) else value),
        StringConstraints(pattern=r"^[0-9]{1,20}$"),
    ] = Field(
        description="The id of a template approved in Zalo's console; a service rating "
        "template answers the flow's first (CSAT) question."
    )
    template_data: dict[TemplateParam, TemplateField] = Field(
        default_factory=dict,
        description="Template parameter -> the field it is filled from (customer.name, "
        "order.id, survey.link, ...).",
    )


class MessengerKeys(_Strict):
    """Messenger's part of a flow."""

    feedback_template: bool = Field(
        default=False,
        description="Outside the 24-hour window (up to 7 days after the customer last "
        "wrote), send Meta's Customer Feedback Template for the first question, which must "
        "be a csat, nps or ces one.",
    )


class Flow(_Strict):
    """A survey conversation."""

    id: Identifier
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    description: str = ""
    default: bool = Field(
        default=False, description="Start this flow on a plain /start (walk-in customers)."
    )
    locales: list[Locale] = Field(min_length=1, description="First one is the default.")
    trigger: Trigger | None = None
    metrics: MetricCutoffs = Field(
        default_factory=MetricCutoffs,
        description="Cut-offs for this flow's reports; leave out for the standard ones.",
    )
    channels: list[ChannelName] | None = Field(
        default=None,
        min_length=1,
        description="Which channel this flow's customers hear from first, in order (after "
        "the one they last wrote from); leave out for the shop's SURVEYBOT_CHANNEL_ORDER.",
    )
    zalo: ZaloKeys | None = Field(
        default=None, description="A Zalo template that starts the survey (docs/flows.md)."
    )
    messenger: MessengerKeys | None = Field(
        default=None, description="Meta's feedback template for Messenger (docs/flows.md)."
    )
    steps: list[Step] = Field(min_length=1)
    # Set by the loader from the file's content, never written by authors.
    version: str = Field(default="", exclude=True, json_schema_extra={"readOnly": True})

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: list[str] | None) -> list[str] | None:
        if channels is not None and len(set(channels)) != len(channels):
            raise ValueError("a channel is listed twice; list each once, preferred first")
        return channels

    @model_validator(mode="after")
    def _feedback_template_asks_a_score(self) -> Flow:
        if self.messenger is not None and self.messenger.feedback_template:
            first = self.steps[0]
            if not isinstance(first, ScaleStep):
                raise ValueError(
                    "messenger.feedback_template asks the flow's first question, so it must "
                    f"be a csat, nps or ces step; {first.id!r} is a {first.kind.value} step"
                )
        return self

    @field_validator("locales")
    @classmethod
    def _unique_locales(cls, locales: list[str]) -> list[str]:
        if len(set(locales)) != len(locales):
            raise ValueError("a locale is listed twice; list each once, default first")
        return locales

    @cached_property
    def by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    @property
    def default_locale(self) -> str:
        return self.locales[0]

    def step(self, step_id: str) -> Step:
        return self.by_id[step_id]

    def index_of(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)

    def fallthrough(self, step_id: str) -> str | None:
        """The step below `step_id` in the file, used when no rule matches."""
        index = self.index_of(step_id)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else None

    def successors(self, step_id: str) -> list[str]:
        """The steps the survey can go to from `step_id`, whatever the answers: each rule's
        `goto` (that names a step), and the step below unless the last rule always matches."""
        step = self.step(step_id)
        if isinstance(step, EndStep):
            return []
        targets = [rule.goto for rule in step.next if rule.goto in self.by_id]
        if not step.next or step.next[-1].when is not None:
            below = self.fallthrough(step_id)
            if below is not None:
                targets.append(below)
        return targets

    def reachable_from(self, step_id: str) -> set[str]:
        """`step_id` and every step the survey can still come to from there."""
        seen, pending = {step_id}, [step_id]
        while pending:
            for target in self.successors(pending.pop()):
                if target not in seen:
                    seen.add(target)
                    pending.append(target)
        return seen

    def pick_locale(self, *preferred: str | None) -> str:
        """The first of `preferred` this flow speaks (matching `vi-VN` to `vi`), else default."""
        return choose_locale(preferred, self.locales.__contains__, self.default_locale)

    def answer_names(self) -> dict[str, str]:
        """Names usable in conditions -> the step id they read.

        Every question step by id; a kind name (`nps`, `csat`...) too when exactly one step
        has that kind and no step already uses the name as its id.
        """
        names = {step.id: step.id for step in self.steps if step.kind != StepKind.END}
        by_kind: dict[str, list[str]] = {}
        for step in self.steps:
            if step.kind != StepKind.END:
                by_kind.setdefault(step.kind.value, []).append(step.id)
        for kind, ids in by_kind.items():
            if len(ids) == 1 and kind not in names:
                names[kind] = ids[0]
        return names


def flow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a flow file (printed by `surveybot flows schema`)."""
    schema = Flow.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "surveybot flow"
    schema.get("properties", {}).pop("version", None)
    return schema

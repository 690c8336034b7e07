"""A tapped band of scores (`7–8`, on a channel with few buttons): ask which score exactly.

Stateless: the band travels in the choice's value (bot.messaging.fit), nothing is recorded
and the survey stays at the same question and visit, so the exact score answers it as
usual, tapped or typed (any score of the scale is accepted, inside the band or not).
Chat channels reach this through ConversationService.narrow, the web chat through
WebChatService.narrow.
"""

from __future__ import annotations

from bot.flows.schema import EndStep
from bot.messaging.fit import parse_band
from bot.messaging.message import OutgoingMessage
from bot.storage.models import Customer, Survey
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.engine import SessionStatus
from bot.surveys.runner import SurveyRunner


async def ask_within_band(
    runner: SurveyRunner,
    tx: UnitOfWork,
    survey: Survey,
    customer: Customer,
    visit: int,
    band: str,
) -> bool:
    """Queue the follow-up to band `band` of question `visit` on the survey's channel;
    False when that question is no longer open or the band names none of its scores."""
    if survey.status != SessionStatus.ACTIVE or survey.visit != visit or not survey.current_step:
        return False
    scores = parse_band(band)
    if scores is None:
        return False
    flow = await runner.flows.version(tx, survey.flow_id, survey.flow_version)
    step = flow.step(survey.current_step)
    if isinstance(step, EndStep):
        return False
    shown = runner.presenter.narrowing(flow, step, survey.locale, *scores)
    if shown is None:
        return False
    text, choices = shown
    await runner.emit(tx, survey, customer, OutgoingMessage(text, choices, survey.id, visit))
    return True

"""One case's follow-up result, judged as the recovery rate judges it."""

from datetime import UTC, datetime, timedelta

from bot.insight.followup import followup_result
from bot.storage.repositories.insight import AnswerFact, SurveyFact

ASKED = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def followup(*answers: tuple[str, str, int | None, str | None]) -> SurveyFact:
    return SurveyFact(
        survey_id=2,
        flow_id="recovery",
        flow_version="v1",
        status="active",
        locale="en",
        channel="telegram",
        customer_id=1,
        customer_ref=None,
        customer_name=None,
        attributes={},
        order_ref=None,
        store=None,
        skus=(),
        asked_at=ASKED,
        completed_at=None,
        dated_at=ASKED,
        answers=tuple(
            AnswerFact(step, kind, number, text, False, ASKED + timedelta(minutes=minute))
            for minute, (step, kind, number, text) in enumerate(answers, start=1)
        ),
    )


def test_an_unanswered_follow_up_is_asked_and_not_counted():
    result = followup_result(followup())
    assert (result.asked_at, result.answer, result.recovered) == (ASKED, None, None)


def test_yes_recovers_and_the_nps_afterwards_is_kept():
    result = followup_result(
        followup(("resolved", "choice", None, "yes"), ("nps_again", "nps", 9, None))
    )
    assert result.recovered is True and result.nps_after == 9
    assert result.answered_at == ASKED + timedelta(minutes=1)


def test_no_does_not_recover():
    assert followup_result(followup(("resolved", "choice", None, "no"))).recovered is False


def test_an_answer_that_is_neither_yes_nor_no_is_left_out_like_in_the_rate():
    result = followup_result(followup(("resolved", "choice", None, "maybe")))
    assert (result.answer, result.recovered) == ("maybe", None)

"""CaseRepository.listed: the work queue first, whatever the limit."""

from datetime import UTC, datetime, timedelta

from bot.storage.models import Case
from bot.storage.repositories.cases import CaseListQuery
from bot.surveys.engine import SessionStatus

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def add_case(database, n: int, opened_at: datetime, resolved: bool) -> int:
    async with database.transaction() as tx:
        customer = await tx.customers.walk_in("telegram", str(100 + n), "Lan", "vi", NOW)
        await tx.flow_versions.remember("f", "v1", "id: f", NOW)
        survey = await tx.surveys.add(
            flow_id="f",
            flow_version="v1",
            customer_id=customer.id,
            order_id=None,
            locale="vi",
            status=SessionStatus.COMPLETED,
            channel="telegram",
            now=opened_at,
        )
        case = Case(
            survey_id=survey.id,
            customer_id=customer.id,
            flow_id="f",
            severity="high",
            status="resolved" if resolved else "open",
            sla_due_at=opened_at + timedelta(hours=4),
            opened_at=opened_at,
            resolved_at=opened_at + timedelta(hours=1) if resolved else None,
            updated_at=opened_at,
        )
        tx.session.add(case)
        await tx.session.flush()
        return case.id


async def test_an_old_unresolved_case_is_listed_before_newer_resolved_ones(database):
    old = await add_case(database, 0, NOW - timedelta(days=30), resolved=False)
    newer = [await add_case(database, n, NOW - timedelta(hours=n), resolved=True) for n in (1, 2)]
    async with database.reading() as tx:
        listed = await tx.cases.listed(CaseListQuery(), limit=2)
    assert [case.id for case in listed] == [old, newer[0]]


async def test_the_limit_is_filled_with_unresolved_cases_first(database):
    unresolved = [await add_case(database, n, NOW - timedelta(hours=n), False) for n in (1, 2)]
    await add_case(database, 3, NOW, resolved=True)
    async with database.reading() as tx:
        listed = await tx.cases.listed(CaseListQuery(), limit=2)
    assert [case.id for case in listed] == [unresolved[1], unresolved[0]]  # the older is due first

"""The campaigns page: budget, issued, redeemed and what is left."""

from datetime import UTC, datetime, timedelta

from bot.storage.models import Customer, Voucher
from tests.web.dashboard_client import runtime_of, signed_in_as

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def issue(runtime, count: int, redeemed: int) -> None:
    async with runtime.db.transaction() as tx:
        customer = Customer(external_id="C-1", name="Lan", created_at=NOW, updated_at=NOW)
        tx.session.add(customer)
        await tx.session.flush()
        for index in range(count):
            tx.session.add(
                Voucher(
                    code=f"TKS-{index}",
                    campaign_id="thank_you",
                    customer_id=customer.id,
                    percent=10,
                    issued_at=NOW,
                    expires_at=NOW + timedelta(days=30),
                    redeemed_at=NOW if index < redeemed else None,
                )
            )


async def test_the_campaigns_page_shows_budget_issued_and_redeemed(make_client):
    client = await signed_in_as(make_client, "marketer")
    await issue(runtime_of(client), count=4, redeemed=1)
    page = await client.get("/dashboard/campaigns")
    assert page.status_code == 200
    row = page.text.split('id="campaign-thank_you"')[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1] for cell in row.split("<td")[1:]]
    assert "5000 vouchers" in cells[2]  # the budget
    assert cells[3].startswith("4") and cells[4].startswith("1")  # issued, redeemed
    assert "25.0%" in cells[5]
    assert "4996 vouchers" in cells[6]  # left


async def test_every_campaign_is_listed_with_its_state(make_client):
    client = await signed_in_as(make_client, "admin")
    runtime = runtime_of(client)
    page = await client.get("/dashboard/campaigns?lang=vi")
    for campaign_id in runtime.campaigns.campaigns:
        assert f'id="campaign-{campaign_id}"' in page.text
    assert "Chiến dịch" in page.text

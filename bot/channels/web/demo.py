"""Demo mode (`make run`): a sample purchase on demand, so a newcomer can take the survey in
the browser and see the whole loop (answers, the apology, the case, the voucher) with no
Telegram token and no configuration."""

from __future__ import annotations

import secrets

from bot.surveys.events import PurchaseEvent
from bot.surveys.ingest import IngestService

DEMO_EVENT = "order.delivered"


async def demo_survey(ingest: IngestService, now_iso: str) -> str | None:
    """Record a sample purchase by a new sample customer; the token of its survey, or None
    when no flow is triggered by a delivered order."""
    tag = secrets.token_hex(4)
    event = PurchaseEvent.model_validate(
        {
            "id": f"demo-{tag}",
            "type": DEMO_EVENT,
            "occurred_at": now_iso,
            "order": {
                "id": f"DEMO-{tag.upper()}",
                "amount": 350000,
                "currency": "VND",
                "items": [{"sku": "DEMO-1", "name": "Áo thun / T-shirt", "qty": 1}],
                "store": "DEMO",
            },
            "customer": {"id": f"demo-{tag}", "name": "Lan", "attributes": {"demo": "yes"}},
        }
    )
    result = await ingest.ingest(event)
    surveys = result.body.get("surveys", [])
    return str(surveys[0]["web_link"]).rsplit("/", 1)[1] if surveys else None

"""Catching up on ratings from Zalo's rating API: every rating taken, page by page, and
nothing one template or one rating does keeps the others from being taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.zalo import ratings
from bot.channels.zalo.ratings import RatingReconciler
from bot.surveys.conversation import TemplateRating

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def item(n: int) -> dict[str, Any]:
    return {"msgId": f"m{n}", "trackingId": f"sb{n}", "rate": 1 + n % 5, "feedbacks": []}


class ListingClient:
    """Lists `counts[template]` ratings, a page of `page` at a time; refuses `broken`."""

    def __init__(
        self, counts: dict[str, int], page: int, broken: frozenset[str] = frozenset()
    ) -> None:
        self.counts, self.page, self.broken = counts, page, broken
        self.calls: list[tuple[str, int, int, int]] = []

    async def ratings(
        self, token: str, template: str, from_ms: int, to_ms: int, offset: int
    ) -> tuple[int, list[Any]]:
        self.calls.append((template, from_ms, to_ms, offset))
        if template in self.broken:
            raise RuntimeError("Zalo error -109: template invalid")
        total = self.counts[template]
        numbers = range(offset, min(total, offset + self.page))
        return total, [item(n) for n in numbers]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(ratings, "RATINGS_PAGE", 2)
    monkeypatch.setattr(ratings, "MOST_PAGES", 3)


async def test_every_page_is_read_and_each_rating_taken(small_pages):
    client = ListingClient({"800001": 5}, page=2)
    taken: list[TemplateRating] = []

    async def take(rating: TemplateRating) -> None:
        taken.append(rating)

    reconciler = RatingReconciler(client)  # type: ignore[arg-type]
    assert await reconciler.run_once("t", ["800001"], NOW, take) == 5
    assert [r.message_id for r in taken] == ["m0", "m1", "m2", "m3", "m4"]
    first = client.calls[0]
    assert first[1] == int((NOW - timedelta(days=7)).timestamp() * 1000)  # the look-back
    later = NOW + timedelta(minutes=10)
    await reconciler.run_once("t", ["800001"], later, take)
    # The next pass starts where this one ended, less the overlap.
    assert client.calls[-1][1] == int((NOW - timedelta(minutes=30)).timestamp() * 1000)


async def test_a_pass_that_reaches_its_page_cap_goes_on_from_there_next_time(small_pages):
    client = ListingClient({"800001": 9}, page=2)
    taken: list[str] = []

    async def take(rating: TemplateRating) -> None:
        taken.append(rating.message_id)

    reconciler = RatingReconciler(client)  # type: ignore[arg-type]
    await reconciler.run_once("t", ["800001"], NOW, take)
    assert len(taken) == 6  # three pages of two
    await reconciler.run_once("t", ["800001"], NOW + timedelta(minutes=10), take)
    assert taken == [f"m{n}" for n in range(9)]  # the rest, same window, none twice


async def test_a_broken_template_or_rating_keeps_no_other_from_being_taken(small_pages):
    client = ListingClient({"700001": 1, "800001": 2}, page=2, broken=frozenset({"700001"}))
    taken: list[str] = []

    async def take(rating: TemplateRating) -> None:
        if rating.message_id == "m0":
            raise RuntimeError("the database is away")
        taken.append(rating.message_id)

    reconciler = RatingReconciler(client)  # type: ignore[arg-type]
    await reconciler.run_once("t", ["700001", "800001"], NOW, take)
    assert taken == ["m1"]

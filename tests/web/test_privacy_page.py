"""GET /privacy: what is kept and how to have it removed, in the customer's language
(Meta's feedback template links to it)."""

from __future__ import annotations


async def test_the_privacy_page_speaks_vietnamese_first_and_english_when_asked(make_client):
    client = await make_client()
    vietnamese = await client.get("/privacy")
    assert vietnamese.status_code == 200
    assert "Quyền riêng tư" in vietnamese.text and "/stop" in vietnamese.text
    english = await client.get("/privacy", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "What is kept" in english.text and "removed" in english.text
    chosen = await client.get("/privacy", params={"lang": "vi"}, headers={"Accept-Language": "en"})
    assert "Những gì được lưu" in chosen.text
    odd = await client.get("/privacy", params={"lang": "x" * 5000})
    assert odd.status_code == 200  # an unknown language: the default one

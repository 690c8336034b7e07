"""POST /telegram/webhook: the secret is checked; a real update is handled."""

WEBHOOK = {
    "telegram_token": "123456:TEST",
    "telegram_api_url": "http://127.0.0.1:9",  # never called in these tests
    "telegram_mode": "webhook",
    "telegram_webhook_url": "https://bot.shop.test/telegram/webhook",
    "telegram_webhook_secret": "s3cret",
}

UPDATE = {
    "update_id": 10,
    "message": {
        "message_id": 1,
        "date": 1763600000,
        "chat": {"id": 777, "type": "private", "first_name": "Lan"},
        "from": {"id": 777, "is_bot": False, "first_name": "Lan", "language_code": "en"},
        "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
    },
}


async def test_a_wrong_secret_is_refused(make_client):
    client = await make_client(**WEBHOOK)
    response = await client.post(
        "/telegram/webhook", json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
    )
    assert response.status_code == 403


async def test_an_update_with_the_secret_is_handled_once(make_client):
    client = await make_client(**WEBHOOK)
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    runtime = client._transport.app.state.runtime
    for _ in range(2):  # Telegram retries: the second delivery is dropped
        response = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
        assert response.status_code == 200
    async with runtime.db.transaction() as tx:
        counts = await tx.outbox.counts()
    assert counts == {"pending": 1}  # one help message queued for chat 777


async def test_without_webhook_mode_the_route_is_404(client):
    response = await client.post("/telegram/webhook", json=UPDATE)
    assert response.status_code == 404

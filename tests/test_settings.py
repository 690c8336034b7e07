"""Settings that would break a promise are refused at start-up with the reason."""

import pytest
from pydantic import ValidationError

from bot.config import Settings


@pytest.mark.parametrize("lease", [15, 16])
def test_a_lease_too_short_for_a_slow_send_is_refused(lease):
    # A claimed message may wait a second for the rate limiter, then its send may take the
    # whole timeout: a lease that ends sooner lets another worker send it a second time.
    with pytest.raises(ValidationError, match="by more than a second"):
        Settings(delivery_lease_seconds=lease, telegram_timeout_seconds=15)


def test_a_lease_longer_than_a_slow_send_is_accepted():
    assert Settings(delivery_lease_seconds=17, telegram_timeout_seconds=15)


ZALO_KEYS = {"zalo_app_id": "4291763606161179100", "zalo_app_secret": "s", "zalo_oa_secret": "o"}


def test_zalo_is_on_with_its_three_credentials_and_off_without_them():
    assert Settings(_env_file=None, **ZALO_KEYS).zalo_enabled
    assert not Settings(_env_file=None).zalo_enabled
    assert not Settings(_env_file=None, zalo_app_id="  ").zalo_enabled  # blank is unset


def test_part_of_the_zalo_credentials_names_the_missing_ones():
    with pytest.raises(ValidationError, match="SURVEYBOT_ZALO_OA_SECRET"):
        Settings(_env_file=None, zalo_app_id="1", zalo_app_secret="s")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://openapi.zalo.me/", "https://openapi.zalo.me"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_zalo_urls_are_base_urls(given, kept):
    assert Settings(_env_file=None, zalo_api_url=given).zalo_api_url == kept


@pytest.mark.parametrize(
    ("given", "problem"),
    [("https://openapi.zalo.me/v3.0/oa", "has a path"), ("openapi.zalo.me", "not a base URL")],
)
def test_a_zalo_url_that_is_not_a_base_url_is_refused_with_the_fix(given, problem):
    with pytest.raises(ValidationError, match=problem):
        Settings(_env_file=None, zalo_oauth_url=given)


MESSENGER_KEYS = {
    "messenger_page_id": "104857600000001",
    "messenger_page_token": "EAAG-page-token",
    "messenger_app_secret": "app-secret",
    "messenger_verify_token": "my-verify-token",
}


def test_messenger_is_on_with_its_four_credentials_and_off_without_them():
    assert Settings(_env_file=None, **MESSENGER_KEYS).messenger_enabled
    assert not Settings(_env_file=None).messenger_enabled
    assert not Settings(_env_file=None, messenger_page_id=" ").messenger_enabled


def test_part_of_the_messenger_credentials_names_the_missing_ones():
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, messenger_page_id="1", messenger_page_token="t")
    message = str(raised.value)
    assert "SURVEYBOT_MESSENGER_APP_SECRET" in message
    assert "SURVEYBOT_MESSENGER_VERIFY_TOKEN" in message
    assert "SURVEYBOT_MESSENGER_PAGE_TOKEN" not in message


def test_a_page_id_that_is_not_digits_is_refused():
    with pytest.raises(ValidationError, match="is not a Page id"):
        Settings(_env_file=None, **(MESSENGER_KEYS | {"messenger_page_id": "my-shop"}))


def test_the_graph_url_is_a_base_url():
    given = Settings(_env_file=None, messenger_api_url="http://127.0.0.1:9000/")
    assert given.messenger_api_url == "http://127.0.0.1:9000"
    with pytest.raises(ValidationError, match="has a path"):
        Settings(_env_file=None, messenger_api_url="https://graph.facebook.com/v23.0")

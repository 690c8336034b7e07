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

"""How long a sign-in waits after failures: a few are free, then each doubles the wait.

Counted per account (guessing one user's password) and per client address (trying many
accounts); the address allows more, as an office may share one. Counters live in the
database, so they hold across workers and restarts, and are forgotten a day after the
last failure. While a key is blocked the password is not even checked (nor counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # failures before any wait
    base: timedelta  # the first wait; each further failure doubles it
    cap: timedelta

    def wait_after(self, failures: int) -> timedelta:
        if failures <= self.free:
            return timedelta(0)
        doublings = min(failures - self.free - 1, 30)
        wait: timedelta = min(self.base * 2**doublings, self.cap)
        return wait


ACCOUNT_RULE = ThrottleRule(free=5, base=timedelta(seconds=2), cap=timedelta(minutes=15))
ADDRESS_RULE = ThrottleRule(free=20, base=timedelta(seconds=2), cap=timedelta(minutes=15))
FORGET_AFTER = timedelta(hours=24)


def account_key(login: str) -> str:
    return f"account:{login}"[:300]


def address_key(address: str) -> str:
    return f"ip:{address}"[:300]

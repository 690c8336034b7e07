"""How many sign-in attempts reach the password check: a few are free, then each doubles
the wait.

Two counters, as OWASP's Authentication Cheat Sheet ("Account Lockout") and "Blocking Brute
Force Attacks" advise: one per account, so guessing one user's password from many addresses
is slow, and one per client address, so trying many accounts from one address is slow too.
The address allows ten times more and forgets sooner, because an office shares one address
and a colleague's typos must not lock the others out.

An attempt is *claimed* before its password is checked: the counter is raised and the next
wait set in one transaction, committed before argon2 runs, so a burst of parallel requests
(on any number of workers) sees its own earlier members and only the free allowance gets
through. A wrong password then needs no further write; a right one gives its claims back
(the account's counter is cleared; the address's loses this one attempt, its wait and its
time, so successes never keep an address's old typos alive). While a key is
blocked the attempt is refused unchecked and not counted: the right password too, or the
wait would be pointless.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import SurveybotError
from bot.storage.repositories.users import LoginThrottleRepository


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # attempts before any wait
    base: timedelta  # the first wait; each further attempt doubles it
    cap: timedelta
    forget_after: timedelta  # since the last counted attempt; then the count starts afresh

    def __post_init__(self) -> None:
        if self.forget_after <= self.cap:  # a count forgotten while its wait still runs
            raise ValueError("a throttle rule must remember attempts longer than its longest wait")

    def wait_after(self, attempts: int) -> timedelta:
        if attempts <= self.free:
            return timedelta(0)
        doublings = min(attempts - self.free - 1, 30)
        wait: timedelta = min(self.base * 2**doublings, self.cap)
        return wait


ACCOUNT_RULE = ThrottleRule(
    free=5, base=timedelta(seconds=2), cap=timedelta(minutes=15), forget_after=timedelta(hours=24)
)
ADDRESS_RULE = ThrottleRule(
    free=50, base=timedelta(seconds=2), cap=timedelta(minutes=15), forget_after=timedelta(hours=1)
)
_MAX_KEY = 300  # the column's length


class SignInThrottled(SurveybotError):
    """Too many sign-in attempts for this account or from this address: wait `retry_after`."""

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = max(retry_after, timedelta(0))
        seconds = int(self.retry_after.total_seconds()) + 1
        super().__init__(f"too many failed sign-ins; try again in {seconds} s")


@dataclass(frozen=True)
class Gate:
    """One counter an attempt must pass, and its rule."""

    key: str
    rule: ThrottleRule


@dataclass(frozen=True)
class Claim:
    """An attempt let through a gate, and the wait it set (to undo if the password is right)."""

    gate: Gate
    blocked_until: datetime | None
    attempted_at: datetime
    previous_attempt_at: datetime | None  # the counter's time before this attempt


def gates_for(login: str, address: str) -> tuple[Gate, Gate]:
    """The account's gate first, then the address's: every sign-in locks the rows in this
    order, so concurrent ones cannot deadlock."""
    return Gate(account_key(login), ACCOUNT_RULE), Gate(address_key(address), ADDRESS_RULE)


async def claim_attempt(
    throttles: LoginThrottleRepository, gates: tuple[Gate, ...], now: datetime
) -> list[Claim]:
    """Count this attempt at every gate, or raise SignInThrottled when one is blocked (the
    caller's transaction then rolls back, so a refused attempt counts nowhere)."""
    claims = []
    for gate in gates:
        previous = await throttles.last_attempt_at(gate.key)
        attempts = await throttles.count_attempt(gate.key, now, now - gate.rule.forget_after)
        if attempts is None:
            until = await throttles.blocked_until(gate.key)
            raise SignInThrottled((until or now) - now)
        wait = gate.rule.wait_after(attempts)
        blocked_until = now + wait if wait else None
        if blocked_until is not None:
            await throttles.block(gate.key, blocked_until)
        claims.append(Claim(gate, blocked_until, now, previous))
    return claims


async def forgive(throttles: LoginThrottleRepository, claims: list[Claim]) -> None:
    """The password was right: clear the account's counter, give the address its one back."""
    account, *others = claims
    await throttles.clear(account.gate.key)
    for claim in others:
        await throttles.release_attempt(
            claim.gate.key, claim.blocked_until, claim.attempted_at, claim.previous_attempt_at
        )


def account_key(login: str) -> str:
    return f"account:{_printable(login)}"[:_MAX_KEY]


def address_key(address: str) -> str:
    return f"ip:{_printable(address)}"[:_MAX_KEY]


def _printable(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses in text) as escapes."""
    if not any(unicodedata.category(ch)[0] == "C" for ch in text):
        return text
    return "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\x{ord(ch):02x}" for ch in text)

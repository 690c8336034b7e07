"""Dashboard accounts: add, list, remove, change a password or a role, and sign in
(with throttling). One transaction each, like every service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.staff.passwords import (
    AccountError,
    checked_login,
    fold_login,
    hash_password,
    password_problem,
    verify_password,
)
from bot.staff.roles import Role
from bot.staff.throttle import (
    SignInThrottled,
    account_key,
    claim_attempt,
    forgive,
    gates_for,
)
from bot.storage.database import Database
from bot.storage.models import DashboardUser
from bot.storage.repositories.users import UserRepository


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    role: str
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: DashboardUser) -> Account:
        return cls(user.id, user.login, user.role, user.created_at, user.last_login_at)


@dataclass(frozen=True)
class SignInRefused:
    throttled: bool  # True: not even checked, wait `retry_after`
    retry_after: timedelta | None  # when the next try will be checked


def checked_role(raw: str) -> Role:
    try:
        return Role(raw.strip().lower())
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise AccountError(f"no role {raw!r}; roles are: {roles}") from None


class Accounts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, raw_login: str, role: Role, password: str) -> Account:
        login = checked_login(raw_login)
        _check_password(password, login)
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.db.transaction() as tx:
            if not await tx.users.add(login, role.value, password_hash, self.clock.now()):
                raise AccountError(
                    f"there is already a user {login!r}; `surveybot users set-password` "
                    "changes a password"
                )
            user = await tx.users.by_login(login)
            assert user is not None
            return Account.of(user)

    async def list(self) -> list[Account]:
        async with self.db.reading() as tx:
            return [Account.of(user) for user in await tx.users.all()]

    async def remove(self, raw_login: str) -> Account:
        async with self.db.transaction() as tx:
            user = await _existing(tx.users, raw_login)
            await tx.users.remove(user.id)
            return Account.of(user)

    async def set_password(self, raw_login: str, password: str) -> Account:
        login = fold_login(raw_login)
        _check_password(password, login)
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.db.transaction() as tx:
            user = await _existing(tx.users, raw_login)
            await tx.users.set_password(user.id, password_hash, self.clock.now())
            await tx.login_throttles.clear(account_key(user.login))
            return Account.of(user)

    async def set_role(self, raw_login: str, role: Role) -> Account:
        async with self.db.transaction() as tx:
            user = await _existing(tx.users, raw_login)
            await tx.users.set_role(user.id, role.value)
            return Account.of(user)

    async def sign_in(self, raw_login: str, password: str, address: str) -> Account | SignInRefused:
        """The account when login and password match; otherwise why not, without telling
        whether the login exists. The attempt is counted (committed) before the password
        is checked, so parallel attempts cannot all slip past the throttle."""
        login = fold_login(raw_login)[:300]
        now = self.clock.now()
        try:
            async with self.db.transaction() as tx:
                claims = await claim_attempt(tx.login_throttles, gates_for(login, address), now)
                user = await tx.users.by_login(login)
        except SignInThrottled as refused:
            return SignInRefused(throttled=True, retry_after=refused.retry_after)
        stored = user.password_hash if user is not None else None
        matches, rehashed = await asyncio.to_thread(verify_password, stored, password)
        if not matches or user is None:
            # Already counted; the wait this attempt set is the one to tell.
            waits = [claim.blocked_until - now for claim in claims if claim.blocked_until]
            return SignInRefused(throttled=False, retry_after=max(waits) if waits else None)
        async with self.db.transaction() as tx:
            await forgive(tx.login_throttles, claims)
            await tx.users.signed_in(user.id, now, rehashed)
        return Account.of(user)


def _check_password(password: str, login: str) -> None:
    problem = password_problem(password, login)
    if problem:
        raise AccountError(problem)


async def _existing(users: UserRepository, raw_login: str) -> DashboardUser:
    user = await users.by_login(fold_login(raw_login))
    if user is None:
        raise AccountError(f"no user {fold_login(raw_login)!r}; `surveybot users list` shows them")
    return user

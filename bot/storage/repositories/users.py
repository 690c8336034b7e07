"""Dashboard users, their signed-in sessions, and the failed sign-in counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import DashboardSession, DashboardUser, LoginThrottle


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, login: str, role: str, password_hash: str, now: datetime) -> bool:
        """A new user; False when the login is taken (the unique constraint decides)."""
        user = DashboardUser(
            login=login,
            role=role,
            password_hash=password_hash,
            created_at=now,
            password_changed_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            return False
        return True

    async def by_login(self, login: str) -> DashboardUser | None:
        found = await self.session.execute(
            select(DashboardUser).where(DashboardUser.login == login)
        )
        return found.scalar_one_or_none()

    async def get(self, user_id: int) -> DashboardUser | None:
        return await self.session.get(DashboardUser, user_id)

    async def all(self) -> list[DashboardUser]:
        found = await self.session.execute(select(DashboardUser).order_by(DashboardUser.login))
        return list(found.scalars())

    async def count_role(self, role: str) -> int:
        found = await self.session.execute(
            select(func.count()).select_from(DashboardUser).where(DashboardUser.role == role)
        )
        return int(found.scalar_one())

    async def remove(self, user_id: int) -> None:
        await self.session.execute(
            delete(DashboardSession).where(DashboardSession.user_id == user_id)
        )
        await self.session.execute(delete(DashboardUser).where(DashboardUser.id == user_id))

    async def set_password(self, user_id: int, password_hash: str, now: datetime) -> None:
        """A new password signs the user out everywhere."""
        await self.session.execute(
            update(DashboardUser)
            .where(DashboardUser.id == user_id)
            .values(password_hash=password_hash, password_changed_at=now)
        )
        await self.session.execute(
            delete(DashboardSession).where(DashboardSession.user_id == user_id)
        )

    async def set_role(self, user_id: int, role: str) -> None:
        await self.session.execute(
            update(DashboardUser).where(DashboardUser.id == user_id).values(role=role)
        )

    async def signed_in(self, user_id: int, now: datetime, password_hash: str | None) -> None:
        """Note the sign-in (and store a rehashed password when the parameters changed)."""
        values: dict[str, object] = {"last_login_at": now}
        if password_hash is not None:
            values["password_hash"] = password_hash
        await self.session.execute(
            update(DashboardUser).where(DashboardUser.id == user_id).values(**values)
        )

    # -- sessions ------------------------------------------------------------------------

    async def open_session(
        self, session_id: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None:
        await self.session.execute(
            delete(DashboardSession).where(DashboardSession.expires_at <= now)
        )
        self.session.add(
            DashboardSession(
                id=session_id,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    async def session_user(
        self, session_id: str, now: datetime
    ) -> tuple[DashboardSession, DashboardUser] | None:
        """The live session with this id and its user; None when unknown or expired."""
        found = await self.session.execute(
            select(DashboardSession, DashboardUser)
            .join(DashboardUser, DashboardUser.id == DashboardSession.user_id)
            .where(DashboardSession.id == session_id, DashboardSession.expires_at > now)
        )
        row = found.one_or_none()
        return None if row is None else (row[0], row[1])

    async def close_session(self, session_id: str) -> None:
        await self.session.execute(
            delete(DashboardSession).where(DashboardSession.id == session_id)
        )


class LoginThrottleRepository:
    """Sign-in attempt counters. Every change is one statement on one row, so concurrent
    sign-ins on any number of workers queue on that row instead of reading stale counts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_attempt(self, key: str, now: datetime, forget_before: datetime) -> int | None:
        """Count one more attempt and return the count, or None (counting nothing) while the
        key is blocked. A count whose last attempt is older than `forget_before` starts
        afresh. On PostgreSQL the row stays locked until the transaction ends."""
        insert = upsert(self.session, LoginThrottle).values(
            key=key, failures=1, last_failure_at=now, blocked_until=None
        )
        statement = insert.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case(
                    (LoginThrottle.last_failure_at < forget_before, 1),
                    else_=LoginThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
            where=or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now),
        ).returning(LoginThrottle.failures)
        found = await self.session.execute(statement)
        count = found.scalar_one_or_none()
        return None if count is None else int(count)

    async def last_attempt_at(self, key: str) -> datetime | None:
        """When the key's last counted attempt was; the row is locked on PostgreSQL, so the
        count that follows in this transaction sees no attempt slip in between."""
        found = await self.session.execute(
            select(LoginThrottle.last_failure_at).where(LoginThrottle.key == key).with_for_update()
        )
        return found.scalar_one_or_none()

    async def blocked_until(self, key: str) -> datetime | None:
        found = await self.session.execute(
            select(LoginThrottle.blocked_until).where(LoginThrottle.key == key)
        )
        return found.scalar_one_or_none()

    async def block(self, key: str, until: datetime) -> None:
        await self.session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key).values(blocked_until=until)
        )

    async def release_attempt(
        self,
        key: str,
        blocked_until: datetime | None,
        attempted_at: datetime,
        previous_attempt_at: datetime | None,
    ) -> None:
        """Give back one counted attempt: its count, the wait it set and its time, each
        unless a later attempt replaced it (the wait before it had run out, or the attempt
        would not have been counted). Giving the time back matters: otherwise an office
        signing in all day would never reach the quiet hour that forgets its typos."""
        values: dict[str, object] = {"failures": LoginThrottle.failures - 1}
        if previous_attempt_at is not None:
            values["last_failure_at"] = case(
                (LoginThrottle.last_failure_at == attempted_at, previous_attempt_at),
                else_=LoginThrottle.last_failure_at,
            )
        if blocked_until is not None:
            values["blocked_until"] = case(
                (LoginThrottle.blocked_until == blocked_until, null()),
                else_=LoginThrottle.blocked_until,
            )
        await self.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
            .values(**values)
        )

    async def clear(self, key: str) -> None:
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))

"""Demo mode's dashboard account: `make run` prints a login and a fresh password so a
newcomer can open the case their own survey answers just opened, with no set-up. The
login is reserved for this; a start without demo mode removes the account."""

from __future__ import annotations

import secrets

from bot.staff.accounts import Accounts
from bot.staff.passwords import AccountError
from bot.staff.roles import Role

DEMO_LOGIN = "demo@surveybot.local"


async def demo_admin(accounts: Accounts) -> tuple[str, str]:
    """(login, password) of the demo admin; a new password on every start, so a password
    printed in an old terminal stops working."""
    password = secrets.token_urlsafe(12)
    try:
        await accounts.add(DEMO_LOGIN, Role.ADMIN, password)
    except AccountError:  # there from an earlier start: keep it, new password
        await accounts.set_password(DEMO_LOGIN, password)
        await accounts.set_role(DEMO_LOGIN, Role.ADMIN)
    return DEMO_LOGIN, password


async def retire_demo_admin(accounts: Accounts) -> bool:
    """Remove the demo admin (demo mode is off now); True if there was one."""
    try:
        await accounts.remove(DEMO_LOGIN)
    except AccountError:
        return False
    return True

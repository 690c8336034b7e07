"""`surveybot users ...` as an admin runs it: add (password asked twice or from stdin),
list, set-password, set-role, remove; clear errors, no tracebacks."""

import pytest

from bot.clock import SystemClock
from bot.staff.accounts import Account, Accounts
from bot.staff.passwords import AccountError
from bot.staff.roles import Role
from bot.storage.database import Database
from tests.cli.test_cli import surveybot


def users(database_url, tmp_path, *args, stdin=""):
    return surveybot("users", *args, cwd=tmp_path, stdin=stdin, SURVEYBOT_DATABASE_URL=database_url)


async def can_sign_in(database_url, login, password) -> bool:
    db = Database(database_url)
    try:
        outcome = await Accounts(db, SystemClock()).sign_in(login, password, "127.0.0.1")
    finally:
        await db.dispose()
    return isinstance(outcome, Account)


async def test_users_add_asks_for_the_password_twice(database_url, tmp_path):
    result = users(
        database_url,
        tmp_path,
        "add",
        "Lan@Shop.vn",
        "--role",
        "admin",
        stdin="s3cret-pass\ns3cret-pass\n",
    )
    assert result.returncode == 0, result.stderr
    assert "added lan@shop.vn (admin)" in result.stdout
    assert await can_sign_in(database_url, "lan@shop.vn", "s3cret-pass")


async def test_users_add_reads_stdin_and_list_shows_the_user(database_url, tmp_path):
    added = users(
        database_url,
        tmp_path,
        "add",
        "binh",
        "-r",
        "support",
        "--password-stdin",
        stdin="another-secret\n",
    )
    assert added.returncode == 0, added.stderr
    listed = users(database_url, tmp_path, "list")
    assert listed.returncode == 0
    assert "binh" in listed.stdout and "support" in listed.stdout and "never" in listed.stdout


async def test_users_add_refuses_bad_input_clearly(database_url, tmp_path):
    role = users(database_url, tmp_path, "add", "lan", "--role", "boss", "--password-stdin")
    assert role.returncode == 1
    assert "no role 'boss'; roles are: admin, support, marketer" in role.stderr
    short = users(
        database_url, tmp_path, "add", "lan", "--role", "admin", "--password-stdin", stdin="abc\n"
    )
    assert short.returncode == 1 and "shorter than 8 characters" in short.stderr
    assert "Traceback" not in role.stderr + short.stderr


async def test_users_set_password_role_and_remove(database_url, tmp_path):
    db = Database(database_url)
    try:
        await Accounts(db, SystemClock()).add("lan", Role.SUPPORT, "first-secret")
    finally:
        await db.dispose()
    changed = users(
        database_url, tmp_path, "set-password", "LAN", "--password-stdin", stdin="second-secret\n"
    )
    assert changed.returncode == 0, changed.stderr
    assert await can_sign_in(database_url, "lan", "second-secret")
    role = users(database_url, tmp_path, "set-role", "lan", "marketer")
    assert role.returncode == 0 and "lan is now marketer" in role.stdout
    removed = users(database_url, tmp_path, "remove", "lan", "--yes")
    assert removed.returncode == 0 and "removed lan" in removed.stdout


async def test_a_login_is_added_once_and_only_existing_users_change(database):
    accounts = Accounts(database, SystemClock())
    await accounts.add("Lan", Role.ADMIN, "long-enough-1")
    with pytest.raises(AccountError, match="there is already a user 'lan'"):
        await accounts.add(" LAN ", Role.SUPPORT, "long-enough-2")
    with pytest.raises(AccountError, match="no user 'binh'"):
        await accounts.remove("binh")
    with pytest.raises(AccountError, match="spaces or control characters"):
        await accounts.add("lan nguyen", Role.ADMIN, "long-enough-1")
    with pytest.raises(AccountError, match="the password is the login"):
        await accounts.add("binh.tran", Role.ADMIN, "BINH.TRAN")

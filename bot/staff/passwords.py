"""Logins and passwords: how a login is folded, what a password must be, argon2id hashes."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.errors import SurveybotError
from bot.storable_text import has_nul

MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_LOGIN = 254  # the longest e-mail address

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verified against when the login is unknown, so a wrong login costs as much as a wrong
# password and the timing does not tell which logins exist.
_UNKNOWN_USER_HASH = _hasher.hash("surveybot: no such user")


class AccountError(SurveybotError):
    """A user command that cannot be done as asked; the message says what to change."""


def fold_login(raw: str) -> str:
    """One spelling per login: trimmed, NFC, case-folded."""
    return unicodedata.normalize("NFC", raw.strip()).casefold()


def checked_login(raw: str) -> str:
    login = fold_login(raw)
    if not login:
        raise AccountError("the login is empty; use an e-mail address or a name")
    if len(login) > MAX_LOGIN:
        raise AccountError(f"the login is longer than {MAX_LOGIN} characters")
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in login):
        raise AccountError(
            f"the login {raw.strip()!r} has spaces or control characters; use e.g. "
            "lan@shop.vn or lan.nguyen"
        )
    return login


def password_problem(password: str, login: str) -> str | None:
    """Why this password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password is shorter than {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password is longer than {MAX_PASSWORD} characters"
    if has_nul(password):
        return "the password contains a NUL character, which the sign-in form refuses"
    if fold_login(password) == login:
        return "the password is the login; choose another"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash to store when the hashing parameters have changed)."""
    try:
        _hasher.verify(password_hash or _UNKNOWN_USER_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if password_hash is None:
        return False, None
    if _hasher.check_needs_rehash(password_hash):
        return True, _hasher.hash(password)
    return True, None

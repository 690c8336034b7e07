"""CSRF: every POST carries a token in a hidden field `csrf`.

Signed in, the token belongs to the session (stored with it, synchronizer pattern). The
sign-in form has no session yet: its token is also set in a cookie of its own and the two
must match (double submit). A POST without the right token is refused with 403.
"""

from __future__ import annotations

import secrets

FIELD = "csrf"


def tokens_match(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str) or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())

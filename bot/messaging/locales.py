"""Choosing the language to speak: the first wanted one we have, `vi-VN` matching `vi`."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def choose_locale(
    wanted: Iterable[str | None], available: Callable[[str], bool], default: str
) -> str:
    for locale in wanted:
        if not locale:
            continue
        for candidate in (locale, locale.replace("_", "-").split("-")[0].lower()):
            if available(candidate):
                return candidate
    return default

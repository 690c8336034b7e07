"""What every command group shares: the settings (a bad one is a plain error line) and
running a coroutine to its end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from pydantic import ValidationError

from bot.config import Settings
from bot.errors import SurveybotError

T = TypeVar("T")


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"SURVEYBOT_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
            + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise SurveybotError(f"invalid setting: {problems}") from None


def run_async(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(work())

"""Support cases: how urgent an unhappy answer is, and where a case stands against its SLA."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any


class CaseStatus(StrEnum):
    OPEN = "open"  # nobody has taken it yet
    CLAIMED = "claimed"  # a staff member is on it
    RESOLVED = "resolved"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"  # past half its time
    BREACHED = "breached"
    MET = "met"  # resolved in time
    MISSED = "missed"  # resolved late


def _score(scores: Mapping[str, Any], name: str) -> int | None:
    value = scores.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def severity(scores: Mapping[str, Any]) -> Severity:
    """Critical: NPS 0-3 or CSAT 1. High: another detractor (NPS <= 6), CSAT 2, CES 1-2.
    Normal otherwise (the flow's own condition opened the case)."""
    nps, csat, ces = _score(scores, "nps"), _score(scores, "csat"), _score(scores, "ces")
    if (nps is not None and nps <= 3) or csat == 1:
        return Severity.CRITICAL
    if (nps is not None and nps <= 6) or csat == 2 or (ces is not None and ces <= 2):
        return Severity.HIGH
    return Severity.NORMAL


def halfway(opened: datetime, due: datetime) -> datetime:
    return opened + (due - opened) / 2


def sla_state(
    opened: datetime, due: datetime, now: datetime, resolved: datetime | None = None
) -> SlaState:
    if resolved is not None:
        return SlaState.MET if resolved <= due else SlaState.MISSED
    if now >= due:
        return SlaState.BREACHED
    if now >= halfway(opened, due):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK

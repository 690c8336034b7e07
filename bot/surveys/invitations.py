"""The templates a survey's first question carries for channels that may not write first.

A flow names them per channel (`zalo: {template, template_data}`, docs/flows.md); here
each parameter is filled from the field it names, so the channel only has to send it. Zalo
refuses an empty parameter, so a field the survey does not know (a customer without a
name) is sent as MISSING.
"""

from __future__ import annotations

from typing import Any

from bot.flows.schema import Flow
from bot.messaging.message import Invitation

MISSING = "-"


def invitations_for(flow: Flow, context: dict[str, Any]) -> tuple[Invitation, ...]:
    """`context`: the survey's template context (customer, order, survey)."""
    if flow.zalo is None:
        return ()
    data = tuple((param, _field(context, path)) for param, path in flow.zalo.template_data.items())
    return (Invitation("zalo", flow.zalo.template, data),)


def _field(context: dict[str, Any], path: str) -> str:
    value: Any = context
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or value == "":
        return MISSING
    return str(value)


def invited_by(flow: Flow) -> frozenset[str]:
    """The channels `flow`'s first question carries an invitation for."""
    return frozenset({"zalo"}) if flow.zalo is not None else frozenset()

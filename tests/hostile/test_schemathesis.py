"""Property-based fuzzing of the HTTP API with schemathesis, over the app's own OpenAPI
document, in-process (ASGI), on SQLite and PostgreSQL.

Bounded and repeatable, so CI time is predictable: a fixed number of examples per
operation and per phase, generated from a fixed seed (derandomized). Every request carries
the API key. Checks: no 5xx; every status code, content type, header and body is the one
the document describes; data the document calls invalid is refused with a 4xx. The totals
(requests, 5xx, violations) are printed at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.engine import Status, events, from_schema
from schemathesis.python.asgi import shutdown_lifespans
from starlette.types import Receive, Scope, Send

from bot.app.http_app import http_app
from bot.app.runtime import Runtime, build_runtime
from bot.config import Settings
from tests.harness import ROOT
from tests.hostile.conftest import FuzzTally
from tests.http_client import API_KEY

EXAMPLES_PER_OPERATION = 150  # in the fuzzing phase; the coverage phase adds its own, fixed
SEED = 20261120
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
    "missing_required_header",
)
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {API_KEY}"},
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",  # every run the same, nothing saved between runs
            "mode": "all",  # valid data, and data the document calls invalid
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    }
)


class BuiltWhereItRuns:
    """The real app, built when its server starts it (the ASGI lifespan) and closed when it
    stops: schemathesis serves ASGI apps from an event loop of its own, and the database
    connections must belong to the loop that uses them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime: Runtime | None = None
        self.app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.runtime = await build_runtime(self.settings)
                self.app = http_app(self.runtime)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.runtime is not None:
                    await self.runtime.db.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def settings_for(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        flows_dir=ROOT / "flows",
        templates_dir=ROOT / "templates",
        campaigns_dir=ROOT / "campaigns",
        telegram_token=None,
        api_keys=API_KEY,
        public_url="https://surveys.shop.test",
    )


@dataclass
class Findings:
    requests: int = 0
    server_errors: int = 0
    operations: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fuzz(schema: Any) -> Findings:
    """One schemathesis run (examples, coverage and fuzzing phases) over every operation."""
    found = Findings()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for interaction in recorder.interactions.values():
                found.requests += 1
                found.operations.add(recorder.label)
                status = interaction.response.status_code if interaction.response else 0
                found.server_errors += status >= 500
            for checks in recorder.checks.values():
                found.violations += [
                    f"{recorder.label}: {check.name}: {check.failure_info.failure}"[:600]
                    for check in checks
                    if check.status == Status.FAILURE and check.failure_info is not None
                ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.errors.append(str(getattr(event, "value", None) or event.exception))
    return found


def test_the_api_does_what_its_document_says(database_url: str, fuzz_tally: FuzzTally) -> None:
    app = BuiltWhereItRuns(settings_for(database_url))
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
        found = fuzz(schema)
    finally:
        shutdown_lifespans()
    backend = database_url.split("+", 1)[0]
    fuzz_tally.add(backend, found.requests, found.server_errors, len(found.violations))
    documented = {op.ok().label for op in schema.get_all_operations()}
    assert found.errors == []
    assert found.operations == documented  # every operation was called
    assert found.server_errors == 0
    assert found.violations == [], "\n".join(dict.fromkeys(found.violations))

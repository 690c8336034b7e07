"""Hostile input: every surface gets bad input and must answer with a clear 4xx, never a 5xx.

The app fixtures are the web tests' own (the real app, built from settings, on SQLite and
PostgreSQL). `fuzz_tally` counts what the schemathesis run sent and found; the totals are
printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.http_client import client, make_client

__all__ = ["client", "make_client"]


@dataclass
class FuzzTally:
    runs: list[str] = field(default_factory=list)
    requests: int = 0
    server_errors: int = 0
    violations: int = 0  # failed checks (a shrinking run counts each failing try)

    def add(self, name: str, requests: int, server_errors: int, violations: int) -> None:
        self.runs.append(name)
        self.requests += requests
        self.server_errors += server_errors
        self.violations += violations


_TALLY = pytest.StashKey[FuzzTally]()


@pytest.fixture(scope="session")
def fuzz_tally(request: pytest.FixtureRequest) -> FuzzTally:
    return request.config.stash.setdefault(_TALLY, FuzzTally())


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is None or not tally.runs:
        return
    terminalreporter.write_line(
        f"schemathesis ({', '.join(tally.runs)}): {tally.requests} requests, "
        f"{tally.server_errors} server errors (5xx), {tally.violations} check violations"
    )

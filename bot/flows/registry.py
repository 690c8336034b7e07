"""Flows by (id, version): the live file, or the recorded source of an older version.

A survey keeps the version it started with, so editing a flow file never changes the
questions under a customer who is halfway through.
"""

from __future__ import annotations

from datetime import datetime

from bot.errors import FlowError
from bot.flows.catalog import FlowCatalog
from bot.flows.loader import read_flow
from bot.flows.schema import Flow
from bot.storage.unit_of_work import UnitOfWork


class FlowRegistry:
    def __init__(self, catalog: FlowCatalog) -> None:
        self.catalog = catalog
        self._old_versions: dict[tuple[str, str], Flow] = {}

    def live(self, flow_id: str) -> Flow | None:
        return self.catalog.get(flow_id)

    def default(self) -> Flow | None:
        return self.catalog.default()

    async def remember(self, tx: UnitOfWork, flow: Flow, now: datetime) -> None:
        """Keep this version's source on record before a survey uses it.

        Always written (an insert that does nothing when present): remembering it in
        memory could outlive a transaction that rolled back."""
        source = self.catalog.sources[flow.id].decode("utf-8")
        await tx.flow_versions.remember(flow.id, flow.version, source, now)

    async def version(self, tx: UnitOfWork, flow_id: str, version: str) -> Flow:
        """The flow exactly as it was when a survey started."""
        live = self.catalog.get(flow_id)
        if live is not None and live.version == version:
            return live
        cached = self._old_versions.get((flow_id, version))
        if cached is not None:
            return cached
        source = await tx.flow_versions.source(flow_id, version)
        if source is None:
            raise FlowError(f"flow {flow_id!r} version {version} is not on record")
        loaded, problems = read_flow(source.encode("utf-8"), f"{flow_id}@{version}")
        if loaded is None:
            raise FlowError(f"recorded flow {flow_id!r}@{version} no longer loads: {problems[0]}")
        self._old_versions[(flow_id, version)] = loaded.flow
        return loaded.flow

"""All flows of a directory, checked together, looked up by id, by event and for walk-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import FlowLoadError
from bot.flows.check import check_flow
from bot.flows.loader import LoadedFlow, read_flow_file
from bot.flows.schema import Flow
from bot.flows.schema_errors import FileProblem
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.texts import MessageTexts


@dataclass
class FlowCatalog:
    """The live flows, plus each one's source so the exact version can be kept on record."""

    flows: dict[str, Flow] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def get(self, flow_id: str) -> Flow | None:
        return self.flows.get(flow_id)

    def default(self) -> Flow | None:
        """The flow a plain /start runs: the one marked `default: true`, or the only one."""
        marked = [flow for flow in self.flows.values() if flow.default]
        if marked:
            return marked[0]
        return next(iter(self.flows.values())) if len(self.flows) == 1 else None

    def for_event(self, event_type: str) -> list[Flow]:
        return [
            flow
            for flow in self.flows.values()
            if flow.trigger is not None and flow.trigger.on == event_type
        ]

    def __len__(self) -> int:
        return len(self.flows)


def flow_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def check_directory(
    directory: Path,
    texts: MessageTexts | None,
    channels: Sequence[ChannelCapabilities] = (),
) -> tuple[FlowCatalog, list[FileProblem]]:
    """Load every flow file of `directory`; return the good ones and all problems found
    (texts checked against the limits of each of `channels`)."""
    catalog = FlowCatalog()
    if not directory.is_dir():
        return catalog, [
            FileProblem(
                str(directory),
                1,
                1,
                "the flows directory does not exist",
                "create it or point SURVEYBOT_FLOWS_DIR at your flows",
            )
        ]
    files = flow_files(directory)
    if not files:
        return catalog, [
            FileProblem(
                str(directory),
                1,
                1,
                "no flow files (*.yaml) here",
                "add one; flows/post_purchase.yaml is a good start",
            )
        ]
    problems: list[FileProblem] = []
    loaded_flows: list[LoadedFlow] = []
    for path in files:
        loaded, found = read_flow_file(path)
        problems += found
        if loaded is None:
            continue
        own = check_flow(loaded, texts, channels)
        problems += own
        if not own:
            loaded_flows.append(loaded)
            catalog.sources.setdefault(loaded.flow.id, loaded.source)
    problems += _directory_problems(loaded_flows)
    for loaded in loaded_flows:
        catalog.flows.setdefault(loaded.flow.id, loaded.flow)
        catalog.files.setdefault(loaded.flow.id, loaded.file)
    return catalog, problems


def _directory_problems(loaded_flows: list[LoadedFlow]) -> list[FileProblem]:
    problems = []
    first_file: dict[str, str] = {}
    default_file: str | None = None
    for loaded in loaded_flows:
        flow = loaded.flow
        if flow.id in first_file:
            problems.append(
                loaded.problem(
                    ("id",),
                    f"flow id {flow.id!r} is already used by {first_file[flow.id]}",
                    "give every flow its own id",
                )
            )
        first_file.setdefault(flow.id, loaded.file)
        if flow.default:
            if default_file is not None:
                problems.append(
                    loaded.problem(
                        ("default",),
                        f"{default_file} is already the default flow",
                        "mark only one flow `default: true`",
                    )
                )
            default_file = default_file or loaded.file
    return problems


def load_catalog(
    directory: Path,
    texts: MessageTexts | None,
    channels: Sequence[ChannelCapabilities] = (),
) -> FlowCatalog:
    """Load the flows a running bot uses; any problem stops start-up with the full list."""
    catalog, problems = check_directory(directory, texts, channels)
    if problems:
        raise FlowLoadError(list(problems))
    return catalog

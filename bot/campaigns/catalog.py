"""Reading `campaigns/*.yaml`: safe YAML, the schema, and the delivery message checked in
every language it is written in, each problem with file, line and fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.campaigns.schema import (
    Campaign,
    CampaignKind,
    Codes,
    Draw,
    Eligibility,
    PerCustomer,
    Reward,
    Validity,
)
from bot.campaigns.voucher_display import sample_voucher
from bot.errors import CampaignLoadError, TemplateProblem
from bot.flows.catalog import FlowCatalog
from bot.flows.safe_yaml import Document, YamlProblem, load_yaml, read_yaml_file
from bot.flows.safe_yaml import Path as DataPath
from bot.flows.sample_data import sample_context
from bot.flows.schema import EndStep
from bot.flows.schema_errors import FileProblem, SchemaVocabulary, schema_problems
from bot.messaging.rich_text import html_problems
from bot.messaging.texts import MessageTexts

_SECTIONS: dict[str, type[BaseModel]] = {
    "reward": Reward,
    "codes": Codes,
    "validity": Validity,
    "eligibility": Eligibility,
    "draw": Draw,
}


def _model_at(path: DataPath, data: Any) -> type[BaseModel] | None:
    if not path:
        return Campaign
    if len(path) == 1 and isinstance(path[0], str):
        return _SECTIONS.get(path[0])
    if path == ("eligibility", "per_customer"):
        return PerCustomer
    return None


_VOCABULARY = SchemaVocabulary(
    model_at=_model_at,
    field_fixes={
        "id": "use lowercase letters, digits and _, starting with a letter",
        "prefix": "use up to 12 capital letters or digits, optionally ending with -",
        "source": "use generated or pool",
        "period": "use a duration like 30d (per_customer) or week / month (draw)",
    },
    docs="see docs/campaigns.md",
)


@dataclass
class CampaignCatalog:
    campaigns: dict[str, Campaign] = field(default_factory=dict)

    def get(self, campaign_id: str) -> Campaign | None:
        return self.campaigns.get(campaign_id)

    def compensation(self) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.compensation]

    def draws(self) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.draw is not None]

    def __len__(self) -> int:
        return len(self.campaigns)


def read_campaign(
    source: bytes, file: str
) -> tuple[Campaign | None, Document | None, list[FileProblem]]:
    try:
        document = load_yaml(source)
    except YamlProblem as exc:
        return (
            None,
            None,
            [FileProblem(file, exc.line, exc.column, str(exc), "fix the YAML at that spot")],
        )
    if not isinstance(document.data, dict):
        return (
            None,
            document,
            [
                FileProblem(
                    file,
                    1,
                    1,
                    "a campaign file must be a mapping",
                    "start from campaigns/thank_you.yaml",
                )
            ],
        )
    try:
        return Campaign.model_validate(document.data), document, []
    except ValidationError as exc:
        return None, document, schema_problems(exc, document, file, _VOCABULARY)


def check_campaigns(
    directory: Path, texts: MessageTexts | None
) -> tuple[CampaignCatalog, list[FileProblem]]:
    """Every campaign file of `directory` (a missing directory means no campaigns)."""
    catalog = CampaignCatalog()
    problems: list[FileProblem] = []
    if not directory.is_dir():
        return catalog, problems
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            source = read_yaml_file(path)
        except (YamlProblem, OSError) as exc:
            reason = str(exc) if isinstance(exc, YamlProblem) else f"cannot read it: {exc}"
            problems.append(FileProblem(str(path), 1, 1, reason, "keep it small and readable"))
            continue
        campaign, document, found = read_campaign(source, str(path))
        if campaign is not None and document is not None and texts is not None:
            found += _message_problems(campaign, document, str(path), texts)
        if campaign is not None and campaign.id in catalog.campaigns:
            line, column = document.position(("id",)) if document else (1, 1)
            found.append(
                FileProblem(
                    str(path),
                    line,
                    column,
                    f"campaign id {campaign.id!r} is used twice",
                    "give every campaign its own id",
                )
            )
        problems += found
        if campaign is not None and not found:
            catalog.campaigns[campaign.id] = campaign
    return catalog, problems


def _message_problems(
    campaign: Campaign, document: Document, file: str, texts: MessageTexts
) -> list[FileProblem]:
    locales = list(campaign.message) if isinstance(campaign.message, dict) else ["vi", "en"]
    problems = []
    for locale in locales:
        context = sample_context(locale) | {"voucher": sample_voucher(campaign, locale)}
        path: DataPath = ("message", locale) if isinstance(campaign.message, dict) else ("message",)
        line, column = document.position(path)
        try:
            rendered = texts.render(
                campaign.message, locale, context, strict=True, default_locale=locales[0]
            )
        except TemplateProblem as exc:
            problems.append(
                FileProblem(
                    file,
                    line,
                    column,
                    f"message ({locale}): {exc}",
                    "use voucher.code, voucher.value, voucher.expires, "
                    "voucher.terms and customer.name",
                )
            )
            continue
        problems += [
            FileProblem(
                file,
                line,
                column,
                f"message ({locale}): {problem}",
                "Telegram accepts only b, i, u, s, a, code, pre, blockquote markup",
            )
            for problem in html_problems(rendered)
        ]
    return problems


def reward_problems(flows: FlowCatalog, campaigns: CampaignCatalog) -> list[FileProblem]:
    """Every flow's `reward:` must name a campaign that gives rewards (not a lucky draw)."""
    problems = []
    for flow_id, flow in sorted(flows.flows.items()):
        file = flows.files.get(flow_id, f"flows/{flow_id}.yaml")
        document: Document | None = None
        for index, step in enumerate(flow.steps):
            if not isinstance(step, EndStep) or step.reward is None:
                continue
            campaign = campaigns.get(step.reward)
            if campaign is not None and campaign.kind == CampaignKind.REWARD:
                continue
            if document is None:
                document = load_yaml(flows.sources[flow_id]) if flow_id in flows.sources else None
            line, column = document.position(("steps", index, "reward")) if document else (1, 1)
            known = ", ".join(
                sorted(c.id for c in campaigns.campaigns.values() if c.kind == CampaignKind.REWARD)
            )
            problems.append(
                FileProblem(
                    file,
                    line,
                    column,
                    f"step {step.id!r} rewards from {step.reward!r}, "
                    + ("a lucky draw" if campaign else "which is not a campaign"),
                    f"use one of: {known}"
                    if known
                    else "add campaigns/<id>.yaml (see docs/campaigns.md) or remove `reward:`",
                )
            )
    return problems


def load_campaigns(
    directory: Path, texts: MessageTexts | None, flows: FlowCatalog
) -> CampaignCatalog:
    """The campaigns a running bot uses; any problem stops start-up with the full list."""
    catalog, problems = check_campaigns(directory, texts)
    problems += reward_problems(flows, catalog)
    if problems:
        raise CampaignLoadError(list(problems))
    return catalog

"""`surveybot vouchers import CAMPAIGN codes.csv`: a pool of codes from the shop's system.

The file is a CSV with a `code` column (other columns are ignored) or a plain list of
codes, one per line. Importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.campaigns.codes import normalize
from bot.campaigns.schema import Campaign
from bot.clock import Clock
from bot.errors import SurveybotError
from bot.storage.database import Database

BATCH = 1000
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")


@dataclass
class PoolImport:
    read: int = 0
    added: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def repeated(self) -> int:
        return self.read - self.added - len(self.problems)


def read_codes(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, code) for every non-empty row."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SurveybotError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        try:
            rows = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SurveybotError(f"{path} is not a UTF-8 CSV file ({exc})") from None
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column, start = (header.index("code"), 1) if "code" in header else (0, 0)
    for number, row in enumerate(rows[start:], start=start + 1):
        if len(row) > column and row[column].strip():
            yield number, row[column]


async def import_pool(db: Database, campaign: Campaign, path: Path, clock: Clock) -> PoolImport:
    if campaign.codes.source != "pool":
        raise SurveybotError(
            f"campaign {campaign.id} generates its codes; only a `codes: {{source: pool}}` "
            "campaign takes imported codes"
        )
    report = PoolImport()
    batch: list[str] = []
    for line, raw in read_codes(path):
        report.read += 1
        code = normalize(raw)
        if not _CODE.match(code):
            report.problems.append(
                f"{path}:{line}: {raw!r} is not a code (letters, digits, - and _, at most 64)"
            )
            continue
        batch.append(code)
        if len(batch) >= BATCH:
            report.added += await _save(db, campaign.id, batch, clock)
            batch = []
    if batch:
        report.added += await _save(db, campaign.id, batch, clock)
    return report


async def _save(db: Database, campaign_id: str, codes: list[str], clock: Clock) -> int:
    async with db.transaction() as tx:
        return await tx.vouchers.import_codes(campaign_id, codes, clock.now())

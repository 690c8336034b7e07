"""`surveybot campaigns|vouchers|draws` as a marketer runs them, on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.test_cli import surveybot
from tests.harness import ROOT

POOL = """id: gift_cards
name: Gift cards from the shop's system
reward: {amount: 100000, currency: VND}
codes: {source: pool, low_warning: 3}
validity: {until: 2027-12-31}
eligibility: {completed_survey: false}
message: "🎁 <code>{{ voucher.code }}</code>"
"""


def campaigns_with_a_pool(tmp_path: Path) -> Path:
    folder = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", folder)
    (folder / "gift_cards.yaml").write_text(POOL, encoding="utf-8")
    return folder


def test_campaigns_check_passes_and_fails_clearly(tmp_path):
    ok = surveybot("campaigns", "check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "3 campaign(s) OK" in ok.stdout and "thank_you" in ok.stdout
    broken = campaigns_with_a_pool(tmp_path)
    (broken / "gift_cards.yaml").write_text(POOL.replace("pool", "puddle"), encoding="utf-8")
    bad = surveybot("campaigns", "check", str(broken), cwd=tmp_path)
    assert bad.returncode == 1
    assert "gift_cards.yaml:4:" in bad.stderr and "generated or pool" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_pool_import_low_pause_report_and_draws(tmp_path, database_url):
    env = {
        "SURVEYBOT_DATABASE_URL": database_url,
        "SURVEYBOT_CAMPAIGNS_DIR": str(campaigns_with_a_pool(tmp_path)),
    }
    codes = tmp_path / "codes.csv"
    codes.write_text("code\nGC-1\ngc-2\nGC-2\nnot a code!\n", encoding="utf-8")
    imported = surveybot("vouchers", "import", "gift_cards", str(codes), cwd=tmp_path, **env)
    assert imported.returncode == 1  # one line was refused, and said so
    assert "4 code(s) read: 2 added, 1 already there, 1 refused" in imported.stdout
    assert "codes.csv:5:" in imported.stderr
    low = surveybot("vouchers", "low", cwd=tmp_path, **env)
    assert low.returncode == 1 and "LOW gift_cards: 2 of 2 codes left" in low.stdout
    paused = surveybot("campaigns", "pause", "thank_you", cwd=tmp_path, **env)
    assert paused.returncode == 0 and "thank_you paused" in paused.stdout
    listing = surveybot("campaigns", "list", cwd=tmp_path, **env)
    row = next(line for line in listing.stdout.splitlines() if line.startswith("thank_you"))
    assert "paused" in row and "issued 0" in row
    report = surveybot("campaigns", "report", "gift_cards", cwd=tmp_path, **env)
    assert "pool          2 of 2 codes left  ⚠ low" in report.stdout
    assert "budget left   no limit" in report.stdout
    unknown = surveybot("draws", "run", "nope", cwd=tmp_path, **env)
    assert unknown.returncode == 1 and "no campaign 'nope'" in unknown.stderr
    drawn = surveybot("draws", "run", "monthly_draw", cwd=tmp_path, **env)
    assert drawn.returncode == 0 and "0 winner(s) among 0 customer(s)" in drawn.stdout
    shown = surveybot("draws", "show", cwd=tmp_path, **env)
    assert "monthly_draw" in shown.stdout and "verified" in shown.stdout

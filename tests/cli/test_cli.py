"""The `surveybot` command as a user runs it: exit codes and clear errors, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from tests.harness import ROOT


def surveybot(
    *args: str, cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SURVEYBOT_FLOWS_DIR": str(ROOT / "flows"),
        "SURVEYBOT_TEMPLATES_DIR": str(ROOT / "templates"),
        "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
        "SURVEYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'cli.db'}",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_flows_check_passes_on_the_shipped_flows(tmp_path):
    result = surveybot("flows", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 flow(s) OK" in result.stdout and "post_purchase, recovery" in result.stdout


def test_flows_check_reports_file_line_and_fix_and_exits_1(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "post_purchase.yaml"
    path.write_text(path.read_text().replace("goto: nps\n", "goto: nsp\n", 1))
    result = surveybot("flows", "check", str(flows), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{path}:25:15: goto 'nsp' in step 'csat' names no step" in result.stdout
    assert "fix: did you mean 'nps'?" in result.stdout
    assert "Traceback" not in result.stderr


def test_flows_check_names_each_channel_a_label_is_too_long_for(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "recovery.yaml"
    path.write_text(path.read_text().replace('en: "Not yet"', 'en: "' + "N" * 70 + '"', 1))
    without_token = surveybot("flows", "check", str(flows), cwd=tmp_path)
    assert without_token.returncode == 1
    assert "is 70 characters; longer than web (64) allows" in without_token.stdout
    with_token = surveybot(
        "flows", "check", str(flows), cwd=tmp_path, SURVEYBOT_TELEGRAM_TOKEN="123:abc"
    )
    assert "is 70 characters; longer than telegram (64), web (64) allows" in with_token.stdout


def test_flows_check_says_which_channels_it_checked(tmp_path):
    result = surveybot("flows", "check", cwd=tmp_path, SURVEYBOT_TELEGRAM_TOKEN="123:abc")
    assert result.returncode == 0, result.stdout
    assert "(channels: telegram, web)" in result.stdout


def test_flows_schema_is_json(tmp_path):
    result = surveybot("flows", "schema", cwd=tmp_path)
    assert json.loads(result.stdout)["title"] == "surveybot flow"


def test_try_plays_a_flow_from_piped_answers(tmp_path):
    result = surveybot(
        "try",
        "post_purchase",
        "--locale",
        "en",
        cwd=tmp_path,
        stdin="1\nLate delivery\n2\n3\nskip\n",
    )
    assert result.returncode == 0, result.stderr
    assert "What disappointed you most?" in result.stdout
    assert "✓ comment = skipped" in result.stdout
    assert "a support case would open now (SLA 4h)" in result.stdout


def test_try_an_unknown_flow_names_the_known_ones(tmp_path):
    result = surveybot("try", "nope", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: no flow 'nope'" in result.stderr and "post_purchase" in result.stderr


def test_db_upgrade_then_current(tmp_path):
    assert "database at revision" in surveybot("db", "upgrade", cwd=tmp_path).stdout
    assert "(up to date)" in surveybot("db", "current", cwd=tmp_path).stdout


def test_invalid_setting_is_a_clear_error(tmp_path):
    result = surveybot("db", "current", cwd=tmp_path, SURVEYBOT_DATABASE_URL="mysql://x/y")
    assert result.returncode == 1
    assert "surveybot runs on SQLite" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = surveybot("run", cwd=tmp_path, SURVEYBOT_HTTP_PORT=str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_to_start_with_a_broken_flow(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "bad.yaml").write_text("id: bad\nname: Bad\nlocales: [en]\nsteps: []\n")
    result = surveybot("run", cwd=tmp_path, SURVEYBOT_FLOWS_DIR=str(flows))
    assert result.returncode == 1
    assert "bad.yaml:4:8" in result.stderr and "nothing was started" in result.stderr


def orders_csv() -> str:
    """Three orders delivered an hour ago (an older one would be skipped as stale)."""
    hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    local, naive = hour_ago.astimezone(timezone(timedelta(hours=7))), hour_ago.replace(tzinfo=None)
    return (
        "event_id,occurred_at,order_id,amount,currency,store,customer_id,customer_name,"
        "locale,timezone,telegram_chat_id\n"
        f"e1,{local.isoformat()},SO-1,350000,VND,HN-01,C-1,Lan,vi,Asia/Ho_Chi_Minh,111\n"
        f"e2,{local.isoformat()},SO-2,120000,VND,HN-01,C-2,Minh,en,,\n"
        f"e3,{naive.isoformat()},SO-3,1,VND,HN-01,C-3,Hoa,vi,Mars/Base,\n"
    )


def test_import_csv_reports_each_bad_row_and_imports_the_rest_once(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(orders_csv(), encoding="utf-8")
    first = surveybot("import", str(orders), cwd=tmp_path)
    assert first.returncode == 1  # a row had problems
    assert f"{orders}:4: occurred_at:" in first.stderr
    assert f"{orders}:4: customer.timezone: 'Mars/Base' is not an IANA timezone" in first.stderr
    assert "3 row(s): 2 new event(s), 0 already imported, 1 with problems" in first.stdout
    again = surveybot("import", str(orders), cwd=tmp_path)
    assert "0 new event(s), 2 already imported" in again.stdout
    status = surveybot("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "surveys    pending=2" in status.stdout
    assert "timers" in status.stdout and "deliveries" in status.stdout


def test_import_of_a_missing_file_is_one_clear_line(tmp_path):
    result = surveybot("import", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert result.returncode == 1
    assert "error: cannot read" in result.stderr and "Traceback" not in result.stderr


def test_import_without_the_required_columns_says_which(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("order,customer\nSO-1,C-1\n", encoding="utf-8")
    result = surveybot("import", str(orders), cwd=tmp_path)
    assert "has no column occurred_at, order_id, customer_id" in result.stderr

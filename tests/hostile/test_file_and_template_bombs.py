"""A template or a file that would exhaust the machine is refused, quickly and by name.

`surveybot flows check` runs in a child process whose address space is capped well below
what a bomb would take (a 2 GB flow file, a 1 GB string): it must report the problem and
exit 1, never die of a MemoryError or hang."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from tests.harness import ROOT

MEMORY_CAP = 768 * 1024 * 1024  # `flows check` of the shipped flows needs far less


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def flows_check(flows: Path, templates: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SURVEYBOT_FLOWS_DIR": str(flows),
        "SURVEYBOT_TEMPLATES_DIR": str(templates),
        "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check", str(flows)],
        cwd=cwd,
        env=environment,
        preexec_fn=_cap_memory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def shop_copy(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped flows and templates, in a folder the test may spoil."""
    flows, templates = tmp_path / "flows", tmp_path / "templates"
    shutil.copytree(ROOT / "flows", flows)
    shutil.copytree(ROOT / "templates", templates)
    return flows, templates


def test_the_shipped_flows_pass_under_the_memory_cap(tmp_path):
    flows, templates = shop_copy(tmp_path)
    result = flows_check(flows, templates, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_2_gb_flow_file_is_refused_without_being_read(tmp_path):
    flows, templates = shop_copy(tmp_path)
    with (flows / "huge.yaml").open("wb") as huge:
        huge.truncate(2 * 1024**3)  # sparse: 2 GB to whoever reads it, no disk used
    result = flows_check(flows, templates, tmp_path)
    assert result.returncode == 1
    assert "huge.yaml:1:1: the file is over 512 KiB" in result.stdout
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stdout


def test_a_template_that_builds_a_gigabyte_is_reported_by_name(tmp_path):
    flows, templates = shop_copy(tmp_path)
    (templates / "messages" / "en" / "post_purchase" / "csat.j2").write_text(
        "{{ 'a' * 10**9 }}", encoding="utf-8"
    )
    result = flows_check(flows, templates, tmp_path)
    assert result.returncode == 1
    assert "en/post_purchase/csat.j2" in result.stdout
    assert "would build a value of 1,000,000,000 items" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_template_that_loops_for_hours_is_stopped_by_the_time_limit(tmp_path):
    flows, templates = shop_copy(tmp_path)
    (templates / "messages" / "en" / "post_purchase" / "nps.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    result = flows_check(flows, templates, tmp_path)
    assert result.returncode == 1
    assert "en/post_purchase/nps.j2" in result.stdout
    assert "takes longer than 1 s to render" in result.stdout


def test_a_huge_template_file_is_refused_without_being_read(tmp_path):
    flows, templates = shop_copy(tmp_path)
    with (templates / "messages" / "en" / "post_purchase" / "why.j2").open("wb") as huge:
        huge.truncate(2 * 1024**3)
    result = flows_check(flows, templates, tmp_path)
    assert result.returncode == 1
    assert "en/post_purchase/why.j2" in result.stdout and "over 256 KiB" in result.stdout
    assert "Traceback" not in result.stderr

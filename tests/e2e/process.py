"""Start and stop the real `surveybot` process for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Self

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 90.0  # importing aiogram alone takes several seconds on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SurveybotProcess:
    """`python -m bot run` with its own settings; its log is kept for failure reports."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.env = {
            **os.environ,
            "SURVEYBOT_HTTP_HOST": "127.0.0.1",
            "SURVEYBOT_HTTP_PORT": str(self.port),
            "SURVEYBOT_FLOWS_DIR": str(ROOT / "flows"),
            "SURVEYBOT_TEMPLATES_DIR": str(ROOT / "templates"),
            "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
            "SURVEYBOT_LOG_LEVEL": "INFO",
            **env,
        }
        self.log_path = workdir / f"surveybot-{self.port}.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        await self._wait_healthy()
        return self

    async def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
        async with httpx.AsyncClient() as client:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"surveybot exited early:\n{self.log()}")
                try:
                    response = await client.get(f"{self.url}/healthz", timeout=1.0)
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"surveybot did not become healthy:\n{self.log()}")

    async def stop(self) -> int:
        """SIGTERM, then wait; a process that does not stop in time is killed (and fails)."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(f"surveybot did not stop on SIGTERM:\n{self.log()}") from None
        return int(self.process.returncode or 0)

    async def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    def log(self, *, tail: int | None = 6000) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-tail:] if tail else text

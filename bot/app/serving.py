"""`surveybot run`: serve HTTP, the channels the settings turn on (polling or webhooks),
the scheduler and the outbox dispatcher in one process until SIGINT/SIGTERM, then stop them
in order. With no channel on (no token) it still serves HTTP and says so."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from bot.app.http_app import http_app
from bot.app.jobs import schedule_jobs
from bot.app.runtime import Runtime, close_runtime
from bot.app.startup import announce, demo_sign_in
from bot.errors import ConfigError

log = logging.getLogger("surveybot")


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind early, so a busy port is a clear error rather than a log line from deep inside."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); set SURVEYBOT_HTTP_PORT to a "
            "free port or stop the other program"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our own event loop: we handle the signals, not uvicorn."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(runtime: Runtime) -> None:
    """Run every part until SIGINT/SIGTERM, then stop them in order."""
    settings = runtime.settings
    sock = listen_socket(settings.http_host, settings.http_port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        http_app(runtime),
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = _EmbeddedServer(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    sign_in = await demo_sign_in(runtime)
    for connection in runtime.connections.values():
        await connection.start()
    schedule_jobs(runtime)
    runtime.scheduler.start()
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]), name="http"),
        asyncio.create_task(runtime.outbox.run(), name="outbox"),
    ]
    for name, connection in runtime.connections.items():
        for job in connection.background():
            tasks.append(asyncio.create_task(job, name=f"{name}-inbound"))
    announce(runtime, settings.http_host, port, sign_in)
    waiter = asyncio.create_task(stop.wait(), name="stop-signal")
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    failed = [task for task in done if task is not waiter and task.exception() is not None]
    log.info("stopping")
    await _shutdown(runtime, server, tasks, waiter)
    sock.close()
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


async def _shutdown(
    runtime: Runtime,
    server: uvicorn.Server,
    tasks: list[asyncio.Task[None]],
    waiter: asyncio.Task[bool],
) -> None:
    waiter.cancel()
    for connection in runtime.connections.values():
        await connection.stop()
    runtime.outbox.stop()
    server.should_exit = True
    if runtime.scheduler.running:
        runtime.scheduler.shutdown(wait=False)
    # Sends in flight may take their whole timeout; one cancelled after the platform took it
    # would be sent again after the restart. Then a moment to write their outcomes.
    await asyncio.wait(tasks, timeout=runtime.settings.telegram_timeout_seconds + 2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await close_runtime(runtime)

"""The `web` process as the Procfile starts it (`papers-bot run --only slack`, uvicorn), for tests and bench/."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"listening on http://(?:[\d.]+|\[[\da-f:]+\]):(\d+)")


def procfile_web() -> list[str]:
    """The Procfile's `web` command, split into words."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    words = line.removeprefix("web:").split()
    return [str(Path(sys.executable).parent / words[0]), *words[1:]]


class WebProcess:
    """`with WebProcess(env) as web:` starts the web process on a free port and waits until /healthz answers.

    `web.port`, `web.request(...)`; `web.stderr` is everything it printed (read after the block).
    """

    def __init__(self, env: dict[str, str], cwd: Path | None = None, start_timeout: float = 60.0) -> None:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PORT", "WEB_"))}
        self.env = keep | {"PORT": "0", "PYTHONUNBUFFERED": "1"} | env
        self.cwd, self.start_timeout = cwd or ROOT, start_timeout
        self.lines: list[str] = []
        self.port = 0

    def __enter__(self) -> WebProcess:
        self.process = subprocess.Popen(
            procfile_web(),
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.port:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the web process did not start:\n" + self.stderr)
            time.sleep(0.05)
        while self.health()[0] != 200:  # the worker builds the bolt app after the socket is bound
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the web process never answered /healthz:\n" + self.stderr)
            time.sleep(0.1)
        return self

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            found = LISTENING.search(line)
            if found and not self.port:
                self.port = int(found.group(1))

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn's graceful stop, as a platform sends it
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(5)

    @property
    def host(self) -> str:
        """Where to reach it: HOST, or the loopback when it listens on every interface (the default)."""
        host = self.env.get("HOST") or "0.0.0.0"
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def health(self) -> tuple[int, str]:
        try:
            status, _, body = self.request("GET", "/healthz")
        except OSError:
            return 0, ""
        return status, body

    def request(
        self, method: str, path: str, body: str | bytes = "", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        """One HTTP request on a connection of its own: (status, headers, body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            data = body.encode() if isinstance(body, str) else body
            connection.request(method, path, body=data, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode()
        finally:
            connection.close()

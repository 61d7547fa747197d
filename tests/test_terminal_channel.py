"""The terminal channel (`papers-bot run` with no tokens): it stops at once, keeps its log off the prompt,
prints text as written, and reads the file `import PATH` names."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from adapters.cli import cli
from adapters.terminal.channel import chat
from bot.app import App
from bot.config import Settings
from bot.domain import ChannelRef

ROOT = Path(__file__).parent.parent
OURS = tuple(name.upper() for name in Settings.model_fields)
LAB = ChannelRef("terminal", "local", "lab")


class SilentSource:
    """A source that takes every connection and never answers: each fetch waits out its timeout, then retries."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._take, daemon=True).start()

    def _take(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self) -> None:
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentSource]:
    source = SilentSource()
    yield source
    source.close()


def started(tmp_path: Path, silent: SilentSource) -> subprocess.Popen[str]:
    env = {name: value for name, value in os.environ.items() if name not in OURS} | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}",
        "RUNTIME_DIR": str(tmp_path / "run"),
        "HF_API_URL": silent.url,
        "ARXIV_API_URL": f"{silent.url}/api/query",
        "ARXIV_RSS_URL": f"{silent.url}/rss",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "run"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop", ["quit", "ctrl-c", "ctrl-c twice"])
def test_the_terminal_stops_at_once_while_the_sources_do_not_answer(
    tmp_path: Path, silent: SilentSource, stop: str
) -> None:
    bot = started(tmp_path, silent)
    try:
        assert silent.connected.wait(timeout=60), "no fetch started"  # a fetch now waits on a silent source
        if stop == "quit":
            assert bot.stdin is not None
            bot.stdin.write("quit\n")
            bot.stdin.flush()
        else:
            bot.send_signal(signal.SIGINT)
            if stop == "ctrl-c twice":
                bot.send_signal(signal.SIGINT)
        out, err = bot.communicate(timeout=15)  # a fetch's own timeout is 30 s, its retries a minute more
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.communicate()
    assert "Exception ignored" not in err and "Traceback" not in err, err[-3000:]
    if stop != "ctrl-c twice":
        assert bot.returncode == 0, err[-3000:]
    # The log went to a file, said at start, instead of over the prompt.
    log = tmp_path / "run" / "terminal.log"
    assert f"log: {log}" in out and f"database: sqlite:///{tmp_path / 'papers.db'}" in out
    assert err == ""
    assert "delivery pass:" in log.read_text()


def test_piped_output_is_not_cut_at_80_columns_and_has_no_emoji(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in OURS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'papers.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["say", "terminal:a", "/papers subscribe reinforcement-learning"]).exit_code == 0
    delivered = runner.invoke(cli, ["deliver", "--now"])
    assert delivered.exit_code == 0, delivered.output
    lines = delivered.output.splitlines()
    assert "  terminal:a: 10 papers (thread)" in lines  # `:a:` stays as typed
    assert "🅰" not in delivered.output
    links = [line for line in lines if line.strip().startswith("arXiv: https://arxiv.org/abs/")]
    assert links and all(" PDF: " in line and " HF: https://huggingface.co/papers/" in line for line in links)
    assert not any(line.startswith(("│", "╭")) for line in lines)  # no box drawn at a width


def test_import_with_a_path_reads_that_file(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported = tmp_path / "papers-terminal-lab.jsonl"
    exported.write_text(
        "\n".join(
            json.dumps(line)
            for line in (
                {"channel": "terminal:other", "query": "robotics", "schedule": "08:30 UTC weekdays"},
                {"channel": "terminal:other", "query": "reinforcement-learning"},
            )
        )
        + "\n"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"import {exported}\nlist\nimport {tmp_path / 'nowhere.jsonl'}\n"))
    screen = io.StringIO()
    chat(app.service, LAB, Console(file=screen, emoji=False, soft_wrap=True))
    said = screen.getvalue()
    assert "not JSON" not in said.split("lab> ")[2]  # the file's lines were imported, not its name
    listed = said.split("lab> ")[2]
    assert "robotics" in listed and "reinforcement-learning" in listed and "08:30" in listed
    assert "line 1: This line is not JSON" in said.split("lab> ")[3]  # a path that is no file is read as a line

"""The terminal channel: type `/papers ...` at a prompt, digests print here too."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from adapters.terminal.render import render, render_digest
from bot.chat.service import Service
from bot.domain import Actor, ChannelRef, Digest

log = logging.getLogger(__name__)

HISTORY = Path.home() / ".papers-bot-history"
WELCOME = (
    "papers-bot terminal channel. Type /papers help (the /papers is optional), "
    "or quit. Try: subscribe reinforcement-learning, then digest."
)


class TerminalSender:
    """Posts digests into the terminal; ids are counters, so the outbox works as on a platform."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.posted: dict[str, list[str]] = {}

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        self.console.print(Panel(Text(render_digest(digest)), title=f"{channel}", expand=False))
        ids = [f"{mark}:{i}" for i in range(max(1, len(digest.matches)))]
        self.posted[mark] = ids
        return ids

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        return self.posted.get(mark)


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: no history, still usable
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)
    readline.set_history_length(500)
    import atexit

    atexit.register(lambda: _save_history(readline))


def _save_history(readline: object) -> None:
    try:
        readline.write_history_file(HISTORY)  # type: ignore[attr-defined]
    except OSError:
        log.info("could not save the terminal history to %s", HISTORY)


def chat(service: Service, channel: ChannelRef, console: Console | None = None) -> None:
    """The interactive loop; returns on quit, end of input or Ctrl-C."""
    console = console or Console()
    _enable_history()
    console.print(Text(WELCOME, style="bold"))
    actor = Actor("terminal", "you")
    while True:
        try:
            line = console.input(f"[bold cyan]{channel.channel}>[/bold cyan] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line.strip().lower() in ("quit", "exit", "/quit"):
            return
        if not line.strip():
            continue
        reply = service.answer(channel, actor, line, limited=False)  # its one user runs the bot
        console.print(Text(render(reply)))

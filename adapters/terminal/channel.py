"""The terminal channel: type `/papers ...` at a prompt, digests print here too."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from adapters.terminal.render import render, render_digest
from bot.chat import commands as c
from bot.chat.limits import MAX_IMPORT_BYTES
from bot.chat.replies import Problem, Reply
from bot.chat.service import Service
from bot.domain import Actor, ChannelRef, Digest
from bot.errors import BadInput, PapersError

log = logging.getLogger(__name__)

HISTORY = Path.home() / ".papers-bot-history"
WELCOME = (
    "papers-bot terminal channel. Type /papers help (the /papers is optional), "
    "or quit. Try: subscribe reinforcement-learning, then digest."
)


def terminal_console() -> Console:
    """Text as written: no `:name:` turned into an emoji (`terminal:a:` is a channel), and wrapped by rich only
    on a terminal; piped, each line goes out whole for whatever reads it."""
    console = Console(emoji=False, highlight=False)
    console.soft_wrap = not console.is_terminal
    return console


class TerminalSender:
    """Posts digests into the terminal; ids are counters, so the outbox works as on a platform."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or terminal_console()
        self.posted: dict[str, list[str]] = {}

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        if self.console.is_terminal:
            self.console.print(Panel(Text(render_digest(digest)), title=f"{channel}", expand=False))
        else:  # a box is drawn at a width, and would cut every long line in two
            self.console.print(Text(f"── {channel} ──\n{render_digest(digest)}"))
        ids = [f"{mark}:{i}" for i in range(max(1, len(digest.matches)))]
        self.posted[mark] = ids
        return ids

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        return self.posted.get(mark)


def _enable_history() -> None:
    if not sys.stdin.isatty():  # typed lines only: piped input is no one's history
        return
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


def with_file(command: c.Command) -> c.Command:
    """`import PATH`: the file's lines, when the one line typed after the word names a file. Only here: the
    terminal's user is on this machine; in chat a file is attached instead."""
    if not isinstance(command, c.Import) or len(command.lines) != 1:
        return command
    path = Path(command.lines[0].strip()).expanduser()
    if not path.is_file():
        return command
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise BadInput(f"{path} is over {MAX_IMPORT_BYTES // 1024} KB; an export of one channel is far smaller.")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BadInput(f"I could not read {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not text; give the .jsonl file /papers export wrote.") from None
    return c.Import(tuple(line for line in text.splitlines() if line.strip()))


def answer(service: Service, channel: ChannelRef, actor: Actor, line: str) -> Reply:
    """What the terminal shows for a typed line: the service's answer, files read where a path is given."""
    try:
        command = c.parse_command(line)
    except PapersError as error:
        return Problem(error.message, c.usage_line(error.usage))
    try:
        command = with_file(command)
    except PapersError as error:
        return Problem(error.message, c.usage_line("import"))
    return service.run(channel, actor, command)


def chat(service: Service, channel: ChannelRef, console: Console | None = None, notes: Sequence[str] = ()) -> None:
    """The interactive loop; returns on quit, end of input or Ctrl-C. `notes` print under the welcome."""
    console = console or terminal_console()
    _enable_history()
    console.print(Text(WELCOME, style="bold"))
    for note in notes:
        console.print(Text(note, style="dim"))
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
        console.print(Text(render(answer(service, channel, actor, line))))

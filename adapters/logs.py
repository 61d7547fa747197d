"""Logging for every command: a level (INFO for `run`, LOG_LEVEL, `-v`) and text or one JSON object a line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that say at INFO what we say better ourselves, once per tick or request.
CHATTY = ("apscheduler",)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (arguments applied), and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def level_for(command: str | None, verbose: bool, configured: str | None) -> int:
    """LOG_LEVEL when set, else INFO for `run` (a service's log) and WARNING for one-off commands; -v means INFO at least."""
    level = logging.getLevelName(configured) if configured else logging.INFO if command == "run" else logging.WARNING
    return min(level, logging.INFO) if verbose else level


def setup_logging(level: int, form: str = "text") -> None:
    """Log to stderr; leaves logging alone when the host program (or a test) has set it up already."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT))
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    if form == "json":  # a crash's traceback too: one JSON object, not thirty lines a log reader splits
        sys.excepthook = log_crash


def log_to_file(path: Path) -> Path:
    """Move the log from stderr to `path` (appended to), same format and level; returns where it goes.

    For the terminal channel, where the log's lines would print over the prompt and what is typed at it.
    A handler a host program or a test set up on another stream is left alone.
    """
    root = logging.getLogger()
    there = [h for h in root.handlers if isinstance(h, logging.FileHandler) and h.baseFilename == str(path.absolute())]
    if there:
        return path
    moved = [h for h in root.handlers if type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.__stderr__)]
    path.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(moved[0].formatter if moved else logging.Formatter(TEXT))
    for handler in moved:
        root.removeHandler(handler)
    root.addHandler(to_file)
    return path


def log_crash(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("papers-bot").critical("crashed: %s: %s", kind.__name__, error, exc_info=(kind, error, trace))

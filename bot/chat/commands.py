"""The chat grammar: `/papers ...` text parsed once into one small dataclass per command."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from bot.errors import BadCommand, echo

MAX_COMMAND_CHARS = 1000


@dataclass(frozen=True)
class Subscribe:
    name: ClassVar[str] = "subscribe"
    query: str


@dataclass(frozen=True)
class Unsubscribe:
    name: ClassVar[str] = "unsubscribe"
    target: str  # a query as typed, its number in `/papers list`, or "all"


@dataclass(frozen=True)
class ListSubscriptions:
    name: ClassVar[str] = "list"


@dataclass(frozen=True)
class Find:
    name: ClassVar[str] = "find"
    text: str


@dataclass(frozen=True)
class PreviewDigest:
    name: ClassVar[str] = "digest"


@dataclass(frozen=True)
class SetSchedule:
    name: ClassVar[str] = "schedule"
    args: str


@dataclass(frozen=True)
class BrowseTopics:
    name: ClassVar[str] = "topics"
    prefix: str = ""


@dataclass(frozen=True)
class Status:
    name: ClassVar[str] = "status"


@dataclass(frozen=True)
class Feedback:
    """`like`, `dislike`, `save` or `forget` (undo) one paper, named by its arXiv id or link."""

    name: ClassVar[str] = "feedback"
    kind: str  # like | dislike | save | forget
    paper: str


@dataclass(frozen=True)
class ListSaved:
    name: ClassVar[str] = "saved"


@dataclass(frozen=True)
class Help:
    name: ClassVar[str] = "help"
    command: str = ""


Command = (
    Subscribe
    | Unsubscribe
    | ListSubscriptions
    | Find
    | PreviewDigest
    | SetSchedule
    | BrowseTopics
    | Status
    | Feedback
    | ListSaved
    | Help
)

# One place for the grammar's words, their usage lines and what they do; help is built from it.
USAGE: dict[str, tuple[str, str]] = {
    "subscribe": (
        "/papers subscribe <query> [min-upvotes=N]",
        'follow a topic slug, "a phrase", cat:cs.LG, author:"Name", like:<arXiv id>; -word excludes',
    ),
    "unsubscribe": ("/papers unsubscribe <query|number|all>", "stop following a subscription"),
    "list": ("/papers list", "this channel's subscriptions and schedule"),
    "find": ("/papers find <text>", "look a paper up by a half-remembered title, an arXiv id or URL"),
    "digest": ("/papers digest", "preview what the next post would hold"),
    "schedule": (
        "/papers schedule <HH:MM> [time zone] [daily|weekdays|weekly <day>]",
        "when this channel gets its post",
    ),
    "topics": ("/papers topics [prefix]", "browse the topics you can subscribe to"),
    "status": ("/papers status", "sources, schedule, last and next post"),
    "like": ("/papers like <arXiv id or link>", "more papers like this one in this channel's posts"),
    "dislike": ("/papers dislike <arXiv id or link>", "fewer papers like this one"),
    "save": ("/papers save <arXiv id or link>", "keep a paper on this channel's saved list"),
    "saved": ("/papers saved", "this channel's saved papers"),
    "forget": ("/papers forget <arXiv id or link>", "undo your like, dislike or save of a paper"),
    "help": ("/papers help [command]", "this help"),
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def usage_line(command: str | None = None) -> str:
    if command in USAGE:
        return "Usage: " + USAGE[command][0]
    return "Usage: /papers " + "|".join(USAGE) + " (try /papers help)"


def parse_command(text: str) -> Command:
    """Turn what someone typed (with or without the leading `/papers`) into a Command."""
    text = _clean(text)
    words = text.split(None, 1)
    if words and words[0].lower() in ("/papers", "papers"):
        words = words[1].split(None, 1) if len(words) > 1 else []
    if not words:
        raise BadCommand("Tell me what to do: for example /papers subscribe reinforcement-learning.")
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    build = _BUILDERS.get(name)
    if build is None:
        raise BadCommand(f"I don't know the command {echo(name)}.{_closest(name)}")
    return build(rest)


def _clean(text: str) -> str:
    if len(text) > MAX_COMMAND_CHARS:
        raise BadCommand(f"That command is {len(text):,} characters long; the limit is {MAX_COMMAND_CHARS:,}.")
    if _CONTROL.search(text.replace("\n", " ").replace("\t", " ")):
        raise BadCommand("That command contains control characters; please type plain text.")
    return unicodedata.normalize("NFC", text).strip()


def _closest(name: str) -> str:
    from rapidfuzz import process

    best = process.extractOne(name, list(USAGE) + list(_ALIASES), score_cutoff=70)
    if best is None:
        return ""
    return f" Did you mean {_ALIASES.get(best[0], best[0])}?"


def _needs(kind: str, rest: str, what: str) -> str:
    if not rest:
        raise BadCommand(f"{echo(kind)} needs {what}.", usage=kind)
    return rest


def _none(kind: str, rest: str) -> None:
    if rest:
        raise BadCommand(f"{echo(kind)} takes no arguments.", usage=kind)


def _list(rest: str) -> Command:
    _none("list", rest)
    return ListSubscriptions()


def _digest(rest: str) -> Command:
    _none("digest", rest)
    return PreviewDigest()


def _status(rest: str) -> Command:
    _none("status", rest)
    return Status()


def _saved(rest: str) -> Command:
    _none("saved", rest)
    return ListSaved()


def _feedback(kind: str) -> Callable[[str], Command]:
    return lambda rest: Feedback(kind, _needs(kind, rest, "a paper's arXiv id or link, such as 2401.12345"))


_BUILDERS: dict[str, Callable[[str], Command]] = {
    "subscribe": lambda rest: Subscribe(_needs("subscribe", rest, "a query, such as a topic slug")),
    "unsubscribe": lambda rest: Unsubscribe(
        _needs("unsubscribe", rest, "a query, its number from /papers list, or all")
    ),
    "list": _list,
    "find": lambda rest: Find(_needs("find", rest, "some text to look for")),
    "digest": _digest,
    "schedule": lambda rest: SetSchedule(_needs("schedule", rest, "a time such as 09:00")),
    "topics": lambda rest: BrowseTopics(rest),
    "status": _status,
    "like": _feedback("like"),
    "dislike": _feedback("dislike"),
    "save": _feedback("save"),
    "forget": _feedback("forget"),
    "saved": _saved,
    "help": lambda rest: Help(rest.lower().lstrip("/")),
}
_ALIASES = {"sub": "subscribe", "unsub": "unsubscribe", "search": "find", "ls": "list", "preview": "digest"}
for _alias, _name in _ALIASES.items():
    _BUILDERS[_alias] = _BUILDERS[_name]

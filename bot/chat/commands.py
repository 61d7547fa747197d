"""The chat grammar: `/papers ...` text parsed once into one small dataclass per command."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from bot.chat.help_text import USAGE
from bot.errors import BadCommand, echo

MAX_COMMAND_CHARS = 1000


@dataclass(frozen=True)
class Subscribe:
    name: ClassVar[str] = "subscribe"
    query: str
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class Unsubscribe:
    name: ClassVar[str] = "unsubscribe"
    target: str  # a query as typed, its number in `/papers list`, or "all"
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class ListSubscriptions:
    name: ClassVar[str] = "list"
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class Find:
    name: ClassVar[str] = "find"
    text: str


@dataclass(frozen=True)
class PreviewDigest:
    name: ClassVar[str] = "digest"
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class SetSchedule:
    name: ClassVar[str] = "schedule"
    args: str
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class BrowseTopics:
    name: ClassVar[str] = "topics"
    prefix: str = ""


@dataclass(frozen=True)
class Status:
    name: ClassVar[str] = "status"
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


@dataclass(frozen=True)
class Export:
    name: ClassVar[str] = "export"


@dataclass(frozen=True)
class Import:
    """The lines of a file `/papers export` wrote; adapters fill them from an attached file."""

    name: ClassVar[str] = "import"
    lines: tuple[str, ...] = ()


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
class Explain:
    """`why <paper>`: every reason the paper matches each of this channel's subscriptions (a post shows one line)."""

    name: ClassVar[str] = "why"
    paper: str


@dataclass(frozen=True)
class ShowTaste:
    """`taste`: what the channel's posts learned from its feedback."""

    name: ClassVar[str] = "taste"


@dataclass(frozen=True)
class ResetTaste:
    """`taste reset [confirm]`: forget the channel's likes, dislikes and model (a change: admins only)."""

    name: ClassVar[str] = "taste"
    confirm: bool = False


@dataclass(frozen=True)
class ShowRanking:
    """`ranking`: how much upvotes weigh in the channel's post."""

    name: ClassVar[str] = "ranking"


@dataclass(frozen=True)
class SetRanking:
    """`ranking upvotes off|low|normal|high` (a change: admins only)."""

    name: ClassVar[str] = "ranking"
    upvotes: str


@dataclass(frozen=True)
class WarmUp:
    """`warmup`: the kinds of the channel's recent matches to pick from; `warmup pick 1 3 [#offer]`: the picks."""

    name: ClassVar[str] = "warmup"
    picking: bool = False
    picked: tuple[int, ...] = ()  # the kinds' numbers as shown (none: the channel wants none of them)
    offer: str = ""  # which kinds were shown (the buttons send it): a pick of kinds since changed is refused


@dataclass(frozen=True)
class Club:
    """`club [N] [hours]`: this week's top N matches put to a vote that closes after `hours`."""

    name: ClassVar[str] = "club"
    papers: int = 5
    hours: int = 24
    direct: bool = False  # asked in a direct message (the adapter knows): refused, a vote needs a channel


@dataclass(frozen=True)
class FeedUrl:
    """`feed [reset] [for me]`: a private URL of the feed's last 30 days of posts, to the asker alone."""

    name: ClassVar[str] = "feed"
    reset: bool = False  # revoke the asker's old URL and make a new one
    personal: bool = False  # the person's own feed (`for me`, `mine`), delivered by direct message


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
    | Export
    | Import
    | Feedback
    | ListSaved
    | Explain
    | ShowTaste
    | ResetTaste
    | ShowRanking
    | SetRanking
    | WarmUp
    | Club
    | FeedUrl
    | Help
)

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


def _bare(kind: str, make: Callable[..., Command], for_me: bool = False) -> Callable[[str], Command]:
    """The parser of a command that takes no arguments (`for_me`: but `for me` at the end)."""

    def parse(rest: str) -> Command:
        if not for_me:
            _none(kind, rest)
            return make()
        nothing_after_for_me(rest, kind)
        rest, mine = personal(rest)
        _none(kind, rest)
        return make(mine)

    return parse


_PERSONAL = re.compile(r"(?:^|\s+)(?:for\s+me|mine)$", re.I)
_FOR_ME_INSIDE = re.compile(r"(?:^|\s)for\s+me\s+\S", re.I)
_QUOTED = re.compile(r"[\"“”„«»][^\"“”„«»]*[\"“”„«»]")


def personal(rest: str) -> tuple[str, bool]:
    """`reinforcement-learning for me` -> (`reinforcement-learning`, True): the one word that makes any
    command about the person's own feed instead of the channel's. It counts only at the end."""
    found = _PERSONAL.search(rest)
    return (rest[: found.start()].strip(), True) if found else (rest, False)


def nothing_after_for_me(text: str, kind: str) -> None:
    """Refuse `robotics for me please`: read as a query it would be the phrase "for me please", for the channel."""
    blanked = _QUOTED.sub(lambda quoted: "_" * len(quoted.group()), text)  # a quoted "for me" is a phrase
    inside = _FOR_ME_INSIDE.search(blanked)
    if inside:
        before = " ".join(text[: inside.start()].split())
        raise BadCommand(
            f"`for me` goes at the end, with nothing after it: /papers {kind} {before + ' ' if before else ''}for me.",
            usage=kind,
        )


def _subscribe(rest: str) -> Command:
    rest, mine = personal(rest)
    return Subscribe(_needs("subscribe", rest, "a query, such as a topic slug"), mine)


def _unsubscribe(rest: str) -> Command:
    rest, mine = personal(rest)
    return Unsubscribe(_needs("unsubscribe", rest, "a query, its number from /papers list, or all"), mine)


def _schedule(rest: str) -> Command:
    rest, mine = personal(rest)
    return SetSchedule(_needs("schedule", rest, "a time such as 09:00"), mine)


def _import(rest: str) -> Command:
    # On the terminal the lines may follow the word; chat adapters attach a file instead.
    return Import(tuple(line for line in rest.splitlines() if line.strip()))


def _taste(rest: str) -> Command:
    words = rest.lower().split()
    if words not in ([], ["reset"], ["reset", "confirm"]):
        raise BadCommand(f"taste takes nothing, reset, or reset confirm, not {echo(rest)}.", usage="taste")
    return ResetTaste(confirm=len(words) == 2) if words else ShowTaste()


UPVOTES_LEVELS = ("off", "low", "normal", "high")


def _ranking(rest: str) -> Command:
    words = rest.lower().split()
    if not words:
        return ShowRanking()
    if len(words) == 2 and words[0] == "upvotes" and words[1] in UPVOTES_LEVELS:
        return SetRanking(words[1])
    raise BadCommand(
        f"ranking takes upvotes and one of {', '.join(UPVOTES_LEVELS)}, not {echo(rest)}.", usage="ranking"
    )


def _warmup(rest: str) -> Command:
    words = rest.split()
    offer = words.pop()[1:] if words and words[-1].startswith("#") else ""
    if words and (words[0].lower() != "pick" or not all(w.isascii() and w.isdigit() for w in words[1:])):
        raise BadCommand(f"warmup takes nothing, or pick and the kinds' numbers, not {echo(rest)}.", usage="warmup")
    return WarmUp(bool(words), tuple(dict.fromkeys(int(w) for w in words[1:])), offer) if words else WarmUp()


CLUB_PAPERS = (2, 10)  # a vote needs two papers; a Discord poll holds ten answers
CLUB_HOURS = (1, 168)  # a week at most (Discord polls allow 768 hours; a weekly club needs no more)


def _club(rest: str) -> Command:
    words = rest.lower().removesuffix("h").split()
    if len(words) > 2 or not all(word.isascii() and word.isdigit() for word in words):
        raise BadCommand(f"club takes a number of papers and a number of hours, not {echo(rest)}.", usage="club")
    numbers = [int(word) for word in words]
    papers, hours = (numbers + [Club.papers, Club.hours][len(numbers) :])[:2]
    if not CLUB_PAPERS[0] <= papers <= CLUB_PAPERS[1]:
        raise BadCommand(
            f"A journal club votes on {CLUB_PAPERS[0]} to {CLUB_PAPERS[1]} papers, not {papers}.", usage="club"
        )
    if not CLUB_HOURS[0] <= hours <= CLUB_HOURS[1]:
        raise BadCommand(f"A vote lasts {CLUB_HOURS[0]} to {CLUB_HOURS[1]} hours, not {hours}.", usage="club")
    return Club(papers, hours)


def _feed(rest: str) -> Command:
    nothing_after_for_me(rest, "feed")
    rest, mine = personal(rest)
    if rest.lower() not in ("", "reset"):
        raise BadCommand(f"feed takes nothing or reset, not {echo(rest)}.", usage="feed")
    return FeedUrl(reset=bool(rest), personal=mine)


def _feedback(kind: str) -> Callable[[str], Command]:
    return lambda rest: Feedback(kind, _needs(kind, rest, "a paper's arXiv id or link, such as 2401.12345"))


_BUILDERS: dict[str, Callable[[str], Command]] = {
    "subscribe": _subscribe,
    "unsubscribe": _unsubscribe,
    "list": _bare("list", ListSubscriptions, for_me=True),
    "find": lambda rest: Find(_needs("find", rest, "some text to look for")),
    "digest": _bare("digest", PreviewDigest, for_me=True),
    "schedule": _schedule,
    "topics": lambda rest: BrowseTopics(rest),
    "status": _bare("status", Status, for_me=True),
    "export": _bare("export", Export),
    "import": _import,
    "like": _feedback("like"),
    "dislike": _feedback("dislike"),
    "save": _feedback("save"),
    "forget": _feedback("forget"),
    "saved": _bare("saved", ListSaved),
    "why": lambda rest: Explain(_needs("why", rest, "a paper's arXiv id or link, such as 2401.12345")),
    "taste": _taste,
    "ranking": _ranking,
    "warmup": _warmup,
    "club": _club,
    "feed": _feed,
    "help": lambda rest: Help(rest.lower().lstrip("/")),
}
_ALIASES = {"sub": "subscribe", "unsub": "unsubscribe", "search": "find", "ls": "list", "preview": "digest"}
for _alias, _name in _ALIASES.items():
    _BUILDERS[_alias] = _BUILDERS[_name]

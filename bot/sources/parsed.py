"""What every parser returns (`Parsed`) and the cleaning of untrusted source text it shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from bot.domain import ARXIV_ID, Paper, strip_version

# C0/C1 controls, DEL, and the bidi embeddings/overrides/isolates (plus LRM/RLM/ALM) that can
# make a title render as something else in a chat client.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ARXIV_ID_EXACT = re.compile(r"(?:arxiv:)?" + ARXIV_ID.pattern + r"$", re.I)

MAX_TITLE = 1_000
MAX_TEXT = 20_000
MAX_NAME = 300


@dataclass
class Parsed:
    """Papers read from one source response or file, and one sentence per entry that was skipped."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)  # arXiv ids announced as replacements

    def extend(self, other: Parsed) -> None:
        """Add what another page or day of the same fetch found."""
        self.papers.extend(other.papers)
        self.problems.extend(other.problems)
        self.replaced |= other.replaced


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """One line of plain text: controls and bidi overrides gone, whitespace (and hard wraps) collapsed."""
    # Fast path for text that is already clean: isprintable() is False for every control,
    # bidi formatting character and any whitespace other than " ", all in one C loop.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value[:limit]
    if _UNSAFE.search(value) is not None:
        value = _UNSAFE.sub(" ", value)
    return " ".join(value.split())[:limit]


def clean_names(values: object) -> tuple[str, ...]:
    """Names (authors, keywords, categories) from a list of strings or of `{"name": ...}` objects."""
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple):
        return ()
    if values and all(type(value) is str for value in values):
        # Fast path (most files): one check over all the names joined instead of one per name.
        joined = "|".join(values)
        if (
            joined.isprintable() and "  " not in joined and " |" not in joined and "| " not in joined
            and "||" not in joined and joined[:1] not in " |" and joined[-1:] not in " |"
            and max(map(len, values)) <= MAX_NAME
        ):
            return tuple(values)
    names = []
    for value in values:
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str):
            name = clean_text(value, MAX_NAME)
            if name:
                names.append(name)
    return tuple(names)


def arxiv_id(value: object) -> str | None:
    """`2401.01234v2`, `arXiv:2401.01234`, `hep-th/9901001` -> the id without version; else None."""
    if not isinstance(value, str):
        return None
    match = _ARXIV_ID_EXACT.match(value.strip())
    return match.group("id") if match else None  # the group holds no version


def arxiv_id_in(text: str) -> str | None:
    """The arXiv id inside a URL or an OAI identifier (`.../abs/2401.01234v2`, `oai:arXiv.org:...`)."""
    match = ARXIV_ID.search(text.rsplit("/abs/", 1)[-1].rsplit("arXiv.org:", 1)[-1])
    return strip_version(match.group("id")) if match else None


def parse_time(value: object) -> datetime | None:
    """An ISO date or date-time as an aware UTC datetime (naive means UTC); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)

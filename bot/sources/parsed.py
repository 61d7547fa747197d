"""What every parser returns (`Parsed`) and the cleaning of untrusted source text it shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.domain import Paper
from bot.sources.limits import MAX_TEXT, Refused, checked, is_arxiv_id

# C0/C1 controls (NUL included), DEL, and the bidi embeddings/overrides/isolates (plus LRM/RLM/ALM)
# that can make a title render as something else in a chat client: each becomes a space.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates (JSON's "\ud800"): no encoding can store them and no text meant them; removed.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ARXIV_ID_EXACT = re.compile(r"(?i:arxiv:)?\s*(?P<id>\S+?)(?:[vV][1-9]\d*)?")
# Where a link or an OAI identifier names a paper: the id is all that follows, to the end.
_ID_AFTER = re.compile(r"(?:/(?:abs|pdf|html|papers)/|arXiv\.org:)(?P<rest>.+)$", re.I)
READ_AT_MOST = 4 * MAX_TEXT  # of one field: enough to fill any limit; a 50 MB title costs no more


@dataclass
class Parsed:
    """Papers read from one source response or file, and one sentence per entry that was skipped."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)  # arXiv ids announced as replacements
    cut: int = 0  # fields cut to their limit

    def add(self, place: str, paper: Paper | str) -> Paper | None:
        """One record of a source: kept within the limits, or a problem naming its place (`line 7`)."""
        if isinstance(paper, str):
            self.problems.append(f"{place}: {paper}")
            return None
        try:
            paper, cut = checked(paper)
        except Refused as reason:
            self.problems.append(f"{place}: {reason}")
            return None
        self.cut += cut
        self.papers.append(paper)
        return paper

    def extend(self, other: Parsed) -> None:
        """Add what another page or day of the same fetch found."""
        self.papers.extend(other.papers)
        self.problems.extend(other.problems)
        self.replaced |= other.replaced
        self.cut += other.cut


def clean_text(value: str) -> str:
    """One line of plain text: controls and bidi overrides gone, whitespace (and hard wraps) collapsed.

    Not cut to a limit (`checked` cuts, and counts what it cuts), but only the first
    `READ_AT_MOST` characters are read: enough for any limit.
    """
    value = value[:READ_AT_MOST]
    # Fast path for text that is already clean: isprintable() is False for every control,
    # surrogate, bidi formatting character and any whitespace other than " ", all in one C loop.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    if _SURROGATE.search(value) is not None:
        value = _SURROGATE.sub("", value)
    if _UNSAFE.search(value) is not None:
        value = _UNSAFE.sub(" ", value)
    return " ".join(value.split())


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
            joined.isprintable()
            and "  " not in joined
            and " |" not in joined
            and "| " not in joined
            and "||" not in joined
            and joined[:1] not in " |"
            and joined[-1:] not in " |"
        ):
            return tuple(values)
    names = []
    for value in values:
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str):
            name = clean_text(value)
            if name:
                names.append(name)
    return tuple(names)


def arxiv_id(value: object) -> str | None:
    """`2401.01234v2`, `arXiv:2401.01234`, `hep-th/9901001` -> the id without version; else None.

    Only an id of arXiv's grammar as a whole: `2401.123456` is no id, never `2401.12345`.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _ARXIV_ID_EXACT.fullmatch(value.strip())
    return match.group("id") if match and is_arxiv_id(match.group("id")) else None


def arxiv_id_in(text: str) -> str | None:
    """The arXiv id a link or an OAI identifier ends with (`.../abs/2401.01234v2`, `oai:arXiv.org:...`)."""
    found = _ID_AFTER.search(text[:300])
    if found is None:
        return None
    rest = re.split(r"[?#]", found.group("rest"), maxsplit=1)[0].rstrip("/")
    return arxiv_id(rest.removesuffix(".pdf"))


def parse_time(value: object) -> datetime | None:
    """An ISO date or date-time as an aware UTC datetime (naive means UTC); None when unreadable."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a date beyond the calendar once in UTC (9999-12-31-14:00)
        return None


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

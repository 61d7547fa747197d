"""How replies say counts, rates and moments: `1 topic`, `2 topics`, `Mon 07 Dec 2026 09:00 Europe/Paris`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 topic`, `0 topics`, `2,000 papers`; `many` for a plural that is not the noun plus s."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def estimate(rate: float, days: int) -> str:
    """What a subscription would have brought, in one sentence: `about 8.9 papers a day`; under one a day the
    count (`3 papers`); none, that nothing would have matched (never `about 0.0 papers a day`)."""
    total = round(rate * days)
    if total == 0:
        return f"Nothing in the last {days} days would have matched."
    if rate < 1:
        return f"Over the last {days} days that would have been {plural(total, 'paper')}."
    amount = "about 1 paper" if round(rate, 1) == 1 else f"about {rate:.1f} papers"
    return f"Over the last {days} days that would have been {amount} a day."


def zone_name(moment: datetime) -> str:
    """The name of a moment's time zone as people set it (`Europe/Paris`, `UTC`), not an abbreviation like `+04`."""
    tz = moment.tzinfo
    if isinstance(tz, ZoneInfo):
        return tz.key
    if tz is None or tz == UTC:
        return "UTC"
    return moment.tzname() or "UTC"


def clock_time(moment: datetime | None, never: str = "never") -> str:
    """A moment as its zone's clock shows it, with the zone: `Mon 07 Dec 2026 09:00 Europe/Paris`."""
    if moment is None:
        return never
    return f"{moment:%a %d %b %Y %H:%M} {zone_name(moment)}"


def stamp(moment: datetime) -> str:
    """A moment in a list of changes: `2026-12-07 10:15 Europe/Paris`."""
    return f"{moment:%Y-%m-%d %H:%M} {zone_name(moment)}"

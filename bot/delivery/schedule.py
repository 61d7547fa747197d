"""When a channel's digest is due: slots in the channel's own time zone, and `/papers schedule` parsing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.domain import CADENCES, WEEKDAYS, Schedule
from bot.errors import BadSchedule, echo

USAGE = "schedule"
TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.I)
ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadSchedule(f"{echo(name)} is not a time zone I know.", usage=USAGE) from exc


def _runs_on(schedule: Schedule, day: date) -> bool:
    if schedule.cadence == "daily":
        return True
    if schedule.cadence == "weekdays":
        return day.weekday() < 5
    return day.weekday() == schedule.weekday


def _slot_on(schedule: Schedule, day: date) -> datetime:
    """The slot of one local day in UTC.

    A wall time that does not exist that day (spring forward) resolves with the offset before
    the change, i.e. an hour later on the new clock; a time that happens twice (fall back)
    takes its first occurrence, so every local day has exactly one slot.
    """
    local = datetime.combine(day, schedule.at, tzinfo=zone(schedule.tz))
    return local.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # naive datetimes from the database are UTC
        return moment.replace(tzinfo=UTC)
    return moment


@overload
def local(moment: datetime, tz: str) -> datetime: ...
@overload
def local(moment: None, tz: str) -> None: ...
def local(moment: datetime | None, tz: str) -> datetime | None:
    """A moment as the channel's clock shows it (a stored one without a zone is UTC)."""
    return None if moment is None else _aware(moment).astimezone(zone(tz))


def next_slot(schedule: Schedule, after: datetime) -> datetime | None:
    """The first slot strictly after `after`, as an aware UTC datetime (None: the cadence is off)."""
    if schedule.cadence == "off":
        return None
    after = _aware(after)
    start = after.astimezone(zone(schedule.tz)).date() - timedelta(days=1)
    for offset in range(10):
        day = start + timedelta(days=offset)
        if _runs_on(schedule, day):
            slot = _slot_on(schedule, day)
            if slot > after:
                return slot
    raise AssertionError("every cadence has a slot within a week")


def latest_slot(schedule: Schedule, now: datetime) -> datetime:
    """The last slot at or before `now`, as an aware UTC datetime."""
    now = _aware(now)
    start = now.astimezone(zone(schedule.tz)).date() + timedelta(days=1)
    for offset in range(10):
        day = start - timedelta(days=offset)
        if _runs_on(schedule, day):
            slot = _slot_on(schedule, day)
            if slot <= now:
                return slot
    raise AssertionError("every cadence has a slot within a week")


def due_slot(schedule: Schedule, last_slot: datetime | None, now: datetime) -> datetime | None:
    """The latest slot <= now not handled yet; after any downtime that is one slot, not one per missed day."""
    if schedule.cadence == "off":
        return None
    slot = latest_slot(schedule, now)
    if last_slot is not None and slot <= _aware(last_slot):
        return None
    return slot


# --- parsing `/papers schedule HH:MM [time zone] [daily|weekdays|weekly DAY]` ---------------


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lower-case name -> canonical IANA name, plus unique city names (`paris` -> Europe/Paris)."""
    names = {name.lower(): name for name in available_timezones() if not name.startswith(("posix/", "right/"))}
    cities: dict[str, list[str]] = {}
    for name in names.values():
        if "/" in name:
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    for city, full in cities.items():
        if len(full) == 1 and city not in names:
            names[city] = full[0]
    names.update(ALIASES)
    return names


def parse_time(text: str) -> time:
    match = TIME.match(text.strip())
    hint = f"{echo(text)} is not a time of day; use HH:MM in 24-hour time, like 09:00 or 17:30."
    if not match:
        raise BadSchedule(hint, usage=USAGE)
    hours, minutes, ampm = int(match["h"]), int(match["m"] or 0), (match["ampm"] or "").lower()
    if ampm:
        if not 1 <= hours <= 12:
            raise BadSchedule(hint, usage=USAGE)
        hours = hours % 12 + (12 if ampm == "pm" else 0)
    elif match["m"] is None:  # a bare "9" is too ambiguous to guess
        raise BadSchedule(hint, usage=USAGE)
    if hours > 23 or minutes > 59:
        raise BadSchedule(hint, usage=USAGE)
    return time(hours, minutes)


def parse_zone(text: str) -> str:
    key = text.strip().lower().replace(" ", "_")
    zones = _zones()
    if key in zones:
        return zones[key]
    found = process.extract(key, list(zones), scorer=fuzz.ratio, limit=6, score_cutoff=70)
    suggestions = list(dict.fromkeys(zones[name] for name, _score, _ in found))[:3]  # best first, once each
    hint = (
        f" Did you mean {' or '.join(suggestions)}?" if suggestions else " Use an IANA name like Europe/Paris or UTC."
    )
    raise BadSchedule(f"{echo(text)} is not a time zone I know.{hint}", usage=USAGE)


def parse_weekday(text: str) -> int:
    key = text.strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if (len(key) >= 3 and name.startswith(key)) or key == name + "s":
            return number
    raise BadSchedule(f"{echo(text)} is not a day of the week; use monday … sunday.", usage=USAGE)


def parse_schedule(args: str, default_tz: str = "UTC") -> Schedule:
    """`09:30 Europe/Paris weekly friday` -> Schedule; one clear sentence (BadSchedule) otherwise."""
    words = args.split()
    if not words:
        raise BadSchedule("Tell me a time, like `/papers schedule 09:00 Europe/Paris weekdays`.", usage=USAGE)
    if len(words) > 1 and words[1].lower() in ("am", "pm"):  # "9 am"
        words[0:2] = [words[0] + words[1]]
    at = parse_time(words[0])
    tz, cadence, weekday = None, "weekdays", 0
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        key = word.lower()
        while tz is None and rest and key not in CADENCES and rest[0].lower() not in CADENCES:
            word = f"{word}_{rest.pop(0)}"  # "New York" -> New_York
            key = word.lower()
        if key in CADENCES:
            cadence = key
            if key == "weekly":
                if not rest:
                    raise BadSchedule("`weekly` needs a day, like `weekly friday`.", usage=USAGE)
                weekday = parse_weekday(rest.pop(0))
        elif key in ("weekday", "every-day", "everyday"):
            cadence = "weekdays" if key == "weekday" else "daily"
        elif tz is None:
            tz = parse_zone(word)
        else:
            raise BadSchedule(f"I don't understand {echo(word)}; use daily, weekdays, weekly DAY or off.", usage=USAGE)
    return Schedule(at=at, tz=tz or parse_zone(default_tz), cadence=cadence, weekday=weekday)


def schedule_words(schedule: Schedule) -> str:
    """The schedule as `/papers schedule` takes it: `09:00 Europe/Berlin weekdays`, `08:30 UTC weekly friday`."""
    words = f"{schedule.at:%H:%M} {schedule.tz} {schedule.cadence}"
    return f"{words} {WEEKDAYS[schedule.weekday]}" if schedule.cadence == "weekly" else words


# --- `/papers schedule weekly mon 09:00 [time zone] top [only]`: the week's best -------------

TOP_WORDS = ("top", "best")


def asks_weekly_best(args: str) -> bool:
    """Whether `/papers schedule` arguments are about the weekly best-of post (they say `top`)."""
    return any(word.lower() in TOP_WORDS for word in args.split())


def parse_weekly_best(args: str, default_tz: str = "UTC") -> tuple[Schedule | None, bool]:
    """`weekly mon 09:00 Europe/Paris top only` -> (its schedule, whether it replaces the regular post);
    `top off` -> (None, False). The words may come in any order; the day defaults to Monday."""
    words = [word for word in args.split() if word.lower() not in TOP_WORDS]
    lowered = [word.lower() for word in words]
    if lowered in (["off"], ["stop"], ["none"]):
        return None, False
    only = "only" in lowered
    words = [word for word in words if word.lower() not in ("only", "weekly")]
    times = [i for i, word in enumerate(words) if ":" in word or word.lower().endswith(("am", "pm"))]
    if not times:
        raise BadSchedule("The week's best needs a time, like `/papers schedule weekly mon 09:00 top`.", usage=USAGE)
    at = words.pop(times[0])
    days = [i for i, word in enumerate(words) if _is_weekday(word)]
    day = words.pop(days[0]) if days else WEEKDAYS[0]
    schedule = parse_schedule(" ".join([at, *words, "weekly", day]), default_tz)
    return schedule, only


def _is_weekday(word: str) -> bool:
    try:
        parse_weekday(word)
    except BadSchedule:
        return False
    return True

"""When a channel's digest is due: slots in the channel's own time zone; times, zones and days as people type them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.domain import WEEKDAYS, Schedule
from bot.errors import BadSchedule, echo

USAGE = "schedule"
TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.I)
ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}
# Files of the zone database that name no place: `localtime` is the host's own zone (two processes on two hosts
# would post at different hours), `posixrules` a compiler default, `Factory` "zone unknown" (-00).
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


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


# --- the words of a schedule: a time of day, a time zone, a day (bot/delivery/schedule_words.py: the rest) ---


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """The IANA names a schedule or a setting may hold: every host reads them alike."""
    names = available_timezones() - NOT_PLACES
    return frozenset(name for name in names if not name.startswith(("posix/", "right/")))


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lower-case name -> canonical IANA name, plus unique city names (`paris` -> Europe/Paris)."""
    names = {name.lower(): name for name in zone_names()}
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


def is_weekday(word: str) -> bool:
    try:
        parse_weekday(word)
    except BadSchedule:
        return False
    return True

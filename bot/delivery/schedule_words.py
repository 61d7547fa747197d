"""The `/papers schedule` grammar: one reading of its words, in any order, for the regular post and the week's best.

`09:00`, `17:00 weekly fri`, `weekly fri 17:00`, `off`, `daily`, `08:30 Europe/Berlin weekdays`,
`weekly mon 09:00 top`, `top 17:30 friday Europe/Paris only`, `top off`: every form help and the
README show is read by `read_schedule`; what is left unsaid keeps its current value. `summary on|off`
(a forum channel's post of the day's list) goes with any of them, or alone (`read_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from bot.delivery.schedule import USAGE, is_weekday, parse_time, parse_weekday, parse_zone
from bot.domain import WEEKDAYS, Schedule
from bot.errors import BadSchedule, echo

TOP_WORDS = ("top", "best")
CADENCE_WORDS = {
    "daily": "daily",
    "everyday": "daily",
    "every-day": "daily",
    "weekdays": "weekdays",
    "weekday": "weekdays",
    "weekly": "weekly",
    "off": "off",
    "stop": "off",
    "never": "off",
    "none": "off",
}
EXAMPLE = "`/papers schedule 09:00 Europe/Paris weekdays`"


@dataclass(frozen=True)
class ScheduleWords:
    """What `/papers schedule ...` said; None for what it left unsaid."""

    at: time | None = None
    tz: str | None = None  # as typed, "New York" already joined to "New_York"
    cadence: str | None = None  # daily | weekdays | weekly | off
    weekday: int | None = None
    top: bool = False  # about the week's best
    only: bool = False  # the week's best instead of the regular post


def read_schedule(args: str) -> ScheduleWords:
    """Sort the words into a time, a time zone, how often, a day, `top` and `only`, whatever their order."""
    words = _joined_am_pm(args.split())
    if not words:
        raise BadSchedule(f"Tell me a time, like {EXAMPLE}.", usage=USAGE)
    found: dict[str, Any] = {}
    typed: dict[str, str] = {}  # the word each value came from
    zones: list[list[str]] = [[]]  # runs of words that are none of the rest: "New York" is one zone
    after_weekly = ""  # the word that follows `weekly`, when it is none of the rest: meant as its day
    for previous, word in zip(["", *words], words, strict=False):
        key = word.lower()
        if key in TOP_WORDS:
            found["top"] = True
        elif key == "only":
            found["only"] = True
        elif key in CADENCE_WORDS:
            _once(found, typed, "cadence", CADENCE_WORDS[key], word, "how often")
        elif key[:1].isdigit():
            _once(found, typed, "at", parse_time(word), word, "when")
        elif is_weekday(key):
            _once(found, typed, "weekday", parse_weekday(key), word, "which day")
        else:
            after_weekly = word if previous.lower() == "weekly" else after_weekly
            zones[-1].append(word)
            continue
        zones.append([])
    if after_weekly and "weekday" not in found:
        parse_weekday(after_weekly)  # `weekly someday`: says that is not a day
    named = [zone for zone in zones if zone]
    if len(named) > 1:
        raise BadSchedule(
            f"I don't understand {echo(' '.join(named[1]))}; use daily, weekdays, weekly DAY or off.", usage=USAGE
        )
    read = ScheduleWords(tz="_".join(named[0]) if named else None, **found)
    if read.weekday is not None and read.cadence not in (None, "weekly", "off"):
        raise BadSchedule(f"A day goes with weekly: `weekly {WEEKDAYS[read.weekday][:3]}`.", usage=USAGE)
    if read.only and not read.top:
        raise BadSchedule(
            "`only` goes with the week's best: `/papers schedule weekly fri 17:00 top only`.", usage=USAGE
        )
    return read


def read_summary(args: str) -> tuple[bool | None, str]:
    """`summary on|off` (a forum's post of the day's list, besides a post per paper) and the words left;
    None when the words do not mention it."""
    words = args.split()
    at = [i for i, word in enumerate(words) if word.lower() == "summary"]
    if not at:
        return None, args
    if len(at) > 1:
        raise BadSchedule("Say `summary on` or `summary off` once.", usage=USAGE)
    state = words[at[0] + 1].lower() if at[0] + 1 < len(words) else ""
    if state not in ("on", "off"):
        raise BadSchedule("`summary` takes on or off: `/papers schedule summary off`.", usage=USAGE)
    return state == "on", " ".join(words[: at[0]] + words[at[0] + 2 :])


def _joined_am_pm(words: list[str]) -> list[str]:
    """`9 am` -> `9am`."""
    joined: list[str] = []
    for word in words:
        if word.lower() in ("am", "pm") and joined and joined[-1][:1].isdigit():
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _once(found: dict[str, Any], typed: dict[str, str], name: str, value: object, word: str, what: str) -> None:
    if name in found and found[name] != value:
        raise BadSchedule(f"{echo(typed[name])} and {echo(word)} both say {what}; keep one.", usage=USAGE)
    found[name], typed[name] = value, word


def parse_schedule(args: str, default_tz: str = "UTC", current: Schedule | None = None) -> Schedule:
    """The regular post's schedule the words ask for; what they leave unsaid stays as in `current`
    (a new channel's: 09:00 on weekdays in `default_tz`). A time brings back a post that was off."""
    read = read_schedule(args)
    if read.top:
        raise BadSchedule("That is about the week's best: `/papers schedule weekly fri 17:00 top`.", usage=USAGE)
    base = current or Schedule(tz=parse_zone(default_tz))
    cadence = read.cadence or ("weekly" if read.weekday is not None else base.cadence)
    if cadence == "off" and read.cadence is None:
        cadence = "weekdays" if read.at is not None else "off"
    weekday = read.weekday
    if weekday is None and cadence == "weekly":
        if base.cadence != "weekly":
            raise BadSchedule("`weekly` needs a day, like `weekly friday`.", usage=USAGE)
        weekday = base.weekday
    return Schedule(
        at=base.at if read.at is None else read.at,
        tz=parse_zone(read.tz) if read.tz else base.tz,
        cadence=cadence,
        weekday=base.weekday if weekday is None else weekday,
    )


def parse_weekly_best(args: str, default_tz: str = "UTC") -> tuple[Schedule | None, bool]:
    """`weekly mon 09:00 Europe/Paris top only` -> (its schedule, whether it replaces the regular post);
    `top off` -> (None, False). The day defaults to Monday."""
    read = read_schedule(args)
    if read.cadence == "off":
        return None, False
    if read.cadence not in (None, "weekly"):
        raise BadSchedule("The week's best goes out once a week: `/papers schedule weekly fri 17:00 top`.", usage=USAGE)
    if read.at is None:
        raise BadSchedule("The week's best needs a time, like `/papers schedule weekly mon 09:00 top`.", usage=USAGE)
    tz = parse_zone(read.tz or default_tz)
    return Schedule(read.at, tz, "weekly", read.weekday or 0), read.only


def asks_weekly_best(args: str) -> bool:
    """Whether `/papers schedule` arguments are about the weekly best-of post (they say `top`)."""
    return any(word.lower() in TOP_WORDS for word in args.split())


def schedule_words(schedule: Schedule) -> str:
    """The schedule as `/papers schedule` takes it: `09:00 Europe/Berlin weekdays`, `08:30 UTC weekly friday`."""
    words = f"{schedule.at:%H:%M} {schedule.tz} {schedule.cadence}"
    if schedule.cadence == "weekly":
        words += f" {WEEKDAYS[schedule.weekday]}"
    return words

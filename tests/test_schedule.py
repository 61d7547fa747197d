"""Schedules on a controlled clock: time zones, DST changes, cadences, downtime catch-up, and parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.delivery.schedule import due_slot, next_slot
from bot.delivery.schedule_words import parse_schedule
from bot.domain import Schedule
from bot.errors import BadSchedule

UTC = UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_slot_is_in_the_channels_own_time_zone() -> None:
    paris = Schedule(time(9, 0), "Europe/Paris", "daily")
    assert next_slot(paris, utc(2026, 1, 14, 12)) == utc(2026, 1, 15, 8)  # CET = UTC+1
    assert next_slot(paris, utc(2026, 7, 14, 12)) == utc(2026, 7, 15, 7)  # CEST = UTC+2


def test_berlin_spring_forward_keeps_nine_oclock_local() -> None:
    berlin = Schedule(time(9, 0), "Europe/Berlin", "daily")
    # 29 March 2026: clocks go from 02:00 to 03:00
    assert next_slot(berlin, utc(2026, 3, 28, 9)) == utc(2026, 3, 29, 7)
    assert next_slot(berlin, utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)


def test_new_york_fall_back_posts_once_at_the_first_0130() -> None:
    # 1 November 2026: 01:30 happens twice in New York; the slot is the first one, once
    ny = Schedule(time(1, 30), "America/New_York", "daily")
    first = next_slot(ny, utc(2026, 11, 1, 0))
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_slot(ny, first) == utc(2026, 11, 2, 6, 30)  # next day 01:30 EST, not the repeated hour


def test_a_time_skipped_by_spring_forward_still_gets_its_slot() -> None:
    berlin = Schedule(time(2, 30), "Europe/Berlin", "daily")
    slot = next_slot(berlin, utc(2026, 3, 28, 12))
    assert slot == utc(2026, 3, 29, 1, 30)  # 03:30 CEST: the post is late by the hour the clock skipped


def test_weekdays_skip_the_weekend() -> None:
    weekdays = Schedule(time(9, 0), "UTC", "weekdays")
    friday_after = utc(2026, 11, 27, 10)
    assert next_slot(weekdays, friday_after) == utc(2026, 11, 30, 9)  # Monday


def test_weekly_on_its_day() -> None:
    fridays = Schedule(time(17, 30), "Asia/Tokyo", "weekly", weekday=4)
    slot = next_slot(fridays, utc(2026, 11, 25, 0))  # a Wednesday
    assert slot == utc(2026, 11, 27, 8, 30)
    assert next_slot(fridays, slot) == slot + timedelta(days=7)


def test_downtime_catches_up_once_not_once_per_missed_day() -> None:
    daily = Schedule(time(9, 0), "UTC", "daily")
    last = utc(2026, 11, 20, 9)
    back = utc(2026, 11, 25, 14)  # five missed days later
    slot = due_slot(daily, last, back)
    assert slot == utc(2026, 11, 25, 9)
    assert due_slot(daily, slot, back) is None
    assert due_slot(daily, slot, back + timedelta(hours=20)) == utc(2026, 11, 26, 9)


def test_not_due_before_the_slot_and_due_at_it() -> None:
    daily = Schedule(time(9, 0), "Europe/Berlin", "daily")
    last = utc(2026, 11, 24, 8)
    assert due_slot(daily, last, utc(2026, 11, 25, 7, 59)) is None
    assert due_slot(daily, last, utc(2026, 11, 25, 8)) == utc(2026, 11, 25, 8)


def test_naive_database_times_are_utc() -> None:
    daily = Schedule(time(9, 0), "UTC", "daily")
    assert due_slot(daily, datetime(2026, 11, 25, 9), utc(2026, 11, 25, 12)) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("9:30", Schedule(time(9, 30), "UTC", "weekdays")),
        ("09:30 europe/paris", Schedule(time(9, 30), "Europe/Paris", "weekdays")),
        ("9am America/New_York daily", Schedule(time(9, 0), "America/New_York", "daily")),
        ("5:15pm utc weekly fri", Schedule(time(17, 15), "UTC", "weekly", 4)),
        ("08:00 weekly Monday Asia/Tokyo", Schedule(time(8, 0), "Asia/Tokyo", "weekly", 0)),
        ("08:00 New York", Schedule(time(8, 0), "America/New_York", "weekdays")),
        ("12am daily", Schedule(time(0, 0), "UTC", "daily")),
    ],
)
def test_parse_schedule(args: str, expected: Schedule) -> None:
    assert parse_schedule(args) == expected


def test_parse_uses_the_default_time_zone() -> None:
    assert parse_schedule("10:00", default_tz="Europe/Berlin").tz == "Europe/Berlin"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("25:99", "`25:99` is not a time of day"),
        ("9", "is not a time of day"),
        ("13pm", "is not a time of day"),
        ("10:00 Mars/Olympus", "`Mars/Olympus` is not a time zone I know"),
        ("10:00 Europe/Pari", "Did you mean Europe/Paris"),
        ("10:00 UTC weekly", "`weekly` needs a day"),
        ("10:00 UTC weekly someday", "not a day of the week"),
        ("10:00 UTC daily soon", "I don't understand `soon`"),
        ("", "Tell me a time"),
    ],
)
def test_bad_schedules_get_one_clear_sentence(args: str, says: str) -> None:
    with pytest.raises(BadSchedule) as caught:
        parse_schedule(args)
    assert says in caught.value.message
    assert caught.value.usage == "schedule"
    assert caught.value.message.count(".") <= 3 and "\n" not in caught.value.message

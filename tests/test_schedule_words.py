"""`/papers schedule`: one grammar, its words in any order, every form that help and the README show."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.app import App
from bot.chat import replies as r
from bot.chat.help_text import EXAMPLES, USAGE
from bot.delivery.schedule_words import parse_schedule, parse_weekly_best
from bot.domain import Schedule
from bot.errors import BadSchedule
from tests.chat import Chat

ROOT = Path(__file__).parent.parent
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FRIDAYS_17 = Schedule(time(17, 0), "UTC", "weekly", 4)


@pytest.fixture
def lab(chat: Chat, app: App) -> Chat:
    """The lab channel on Monday 30 November 2026, 10:00 UTC."""
    app.service.clock = lambda: MONDAY
    return chat


def shown_forms() -> list[str]:
    """Every `/papers schedule ...` that help's examples and the README (and docs/) show, as typed."""
    forms = [example.removeprefix("/papers schedule ") for example in EXAMPLES["schedule"]]
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for found in re.finditer(r"(?:lab> |/papers )schedule ([^`|\n<\[]+?)(?:`|\n|\s{2,}|$)", page.read_text()):
            forms.append(found[1].strip())
    return sorted(set(forms))


def test_help_and_the_readme_show_the_forms_this_test_checks() -> None:
    forms = shown_forms()
    assert {"09:00", "weekly mon 09:00 top", "top off", "weekly fri 17:00 top only for me"} <= set(forms), forms


@pytest.mark.parametrize("typed", shown_forms())
def test_every_form_help_and_the_readme_show_is_understood(lab: Chat, typed: str) -> None:
    lab.say("/papers subscribe reinforcement-learning")
    lab.say("/papers subscribe reinforcement-learning for me")
    reply = lab.reply(f"/papers schedule {typed}")
    assert isinstance(reply, r.ScheduleSet), lab.say(f"/papers schedule {typed}")


@pytest.mark.parametrize(
    "typed", ["weekly fri 17:00", "17:00 weekly fri", "fri 17:00 weekly", "friday 5pm", "17:00 UTC weekly friday"]
)
def test_the_words_come_in_any_order(typed: str) -> None:
    assert parse_schedule(typed) == FRIDAYS_17


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("off", Schedule(time(17, 0), "UTC", "off", 4)),  # the time and day stay for when it comes back
        ("09:00 off", Schedule(time(9, 0), "UTC", "off", 4)),
        ("daily", Schedule(time(17, 0), "UTC", "daily", 4)),
        ("Europe/Paris", Schedule(time(17, 0), "Europe/Paris", "weekly", 4)),
        ("08:30", Schedule(time(8, 30), "UTC", "weekly", 4)),
        ("mon", Schedule(time(17, 0), "UTC", "weekly", 0)),
        ("8am New York weekdays", Schedule(time(8, 0), "America/New_York", "weekdays", 4)),
    ],
)
def test_what_the_words_leave_unsaid_stays_as_it_was(typed: str, expected: Schedule) -> None:
    assert parse_schedule(typed, current=FRIDAYS_17) == expected


def test_a_time_brings_back_a_post_that_was_off() -> None:
    off = Schedule(time(9, 0), "UTC", "off")
    assert parse_schedule("09:00", current=off).cadence == "weekdays"
    assert parse_schedule("Europe/Paris", current=off).cadence == "off"  # a new zone alone turns nothing on


def test_schedule_off_and_weekly_first_work_in_chat(lab: Chat) -> None:
    lab.say("/papers subscribe reinforcement-learning")
    assert lab.say("/papers schedule off").startswith("ana turned this channel's post off.")
    answer = lab.say("/papers schedule weekly fri 17:00")
    assert answer == "ana scheduled this channel's post every Friday at 17:00 UTC; next Fri 04 Dec 2026 17:00 UTC."


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("daily weekly fri", "`daily` and `weekly` both say how often; keep one."),
        ("09:00 17:00", "`09:00` and `17:00` both say when; keep one."),
        ("weekly mon fri 09:00", "`mon` and `fri` both say which day; keep one."),
        ("09:00 only", "`only` goes with the week's best"),
        ("daily fri", "A day goes with weekly: `weekly fri`."),
    ],
)
def test_words_that_contradict_each_other_get_one_sentence(typed: str, says: str) -> None:
    with pytest.raises(BadSchedule) as caught:
        parse_schedule(typed)
    assert says in caught.value.message and caught.value.usage == "schedule"


def test_the_week_s_best_takes_the_same_words() -> None:
    assert parse_weekly_best("17:00 weekly fri top") == (FRIDAYS_17, False)
    assert parse_weekly_best("fri top 17:00 only") == (FRIDAYS_17, True)
    with pytest.raises(BadSchedule, match="once a week"):
        parse_weekly_best("daily 17:00 top")


def test_top_off_after_top_only_says_the_channel_gets_no_post(lab: Chat) -> None:
    lab.say("/papers subscribe reinforcement-learning")
    lab.say("/papers schedule weekly fri 17:00 top only")
    assert lab.say("/papers schedule top off") == (
        "ana turned this channel's weekly best-of post off. This channel now gets no post at all; "
        "`/papers schedule 09:00 weekdays` brings the regular post back."
    )
    assert "now gets no post" not in lab.say("/papers schedule 09:00 weekdays")
    assert "now gets no post" not in lab.say("/papers schedule top off")  # the regular post is on


def test_a_person_who_turns_everything_off_is_told_how_to_get_a_post_back(lab: Chat) -> None:
    lab.say("/papers subscribe reinforcement-learning for me")
    answer = lab.say("/papers schedule off for me")
    assert "Your feed now gets no post at all; `/papers schedule 09:00 weekdays for me` brings" in answer


def test_the_usage_line_names_every_kind_of_word() -> None:
    usage = USAGE["schedule"][0] + " " + USAGE["schedule"][1]
    assert all(word in usage for word in ("HH:MM", "time zone", "daily", "weekdays", "weekly", "off", "top", "only"))

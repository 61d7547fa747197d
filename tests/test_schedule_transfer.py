"""Export and import carry every schedule form: daily, weekdays, weekly, off, and the week's best (`top [only]`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.transfer import export_lines, import_lines
from bot.domain import ChannelRef, Schedule
from storage.channels import schedule_of
from tests.chat import Chat

LAB = ChannelRef("terminal", "local", "lab")
COPY = ChannelRef("terminal", "local", "copy")

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 UTC


@pytest.fixture(autouse=True)
def on_monday(app: App) -> None:
    app.service.clock = lambda: MONDAY


FORMS = [
    ["09:00"],
    ["08:30 Europe/Berlin weekdays"],
    ["07:30 Asia/Tokyo daily"],
    ["17:00 weekly fri"],
    ["off"],
    ["weekly mon 09:00 top"],  # alongside the regular post
    ["08:30 Europe/Berlin daily", "weekly fri 17:00 Europe/Paris top only"],  # instead of it
    ["weekly fri 17:00 top", "top off"],
    ["weekly fri 17:00 top only", "top off"],  # nothing at all
]


def schedules(app: App, channel: ChannelRef) -> tuple[Schedule, Schedule | None]:
    """A feed's regular schedule, and its week's best's when that is on."""
    with app.service.uow() as uow:
        best = uow.channels.get(channel.weekly_best())
        return uow.channels.schedule(channel), (schedule_of(best) if best and best.cadence != "off" else None)


@pytest.mark.parametrize("typed", FORMS, ids=" then ".join)
def test_the_command_line_export_and_import_carry_every_schedule_form(chat: Chat, app: App, typed: list[str]) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    for words in typed:
        assert isinstance(chat.reply(f"/papers schedule {words}"), r.ScheduleSet), words
    lines = [line.replace(str(LAB), str(COPY)) for line in export_lines(app.engine, [LAB])]

    report = import_lines(app.engine, app.taxonomy, lines)

    assert report.refused == [] and report.added == 1
    assert schedules(app, COPY) == schedules(app, LAB)
    assert Chat(app, COPY).say("/papers list").replace("copy", "lab") == chat.say("/papers list")


def test_the_week_s_best_is_its_own_field_in_the_words_schedule_takes(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    chat.say("/papers schedule weekly fri 17:00 top only")
    [line] = export_lines(app.engine, [LAB])
    assert json.loads(line) == {
        "channel": str(LAB),
        "query": "reinforcement-learning",
        "schedule": "09:00 UTC off",
        "weekly_best": "17:00 UTC weekly friday",
    }


def test_a_person_s_week_s_best_goes_along_too(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning for me")
    chat.say("/papers schedule weekly fri 17:00 Europe/Paris top only for me")
    mine = ChannelRef.person("terminal", "local", chat.actor.id)
    theirs = ChannelRef.person("terminal", "local", "U2")
    lines = [line.replace(str(mine), str(theirs)) for line in export_lines(app.engine, [mine])]
    assert import_lines(app.engine, app.taxonomy, lines).refused == []
    assert schedules(app, theirs) == schedules(app, mine)
    assert schedules(app, theirs)[1] == Schedule(schedules(app, mine)[1].at, "Europe/Paris", "weekly", 4)  # type: ignore[union-attr]


def test_chat_export_and_import_carry_the_week_s_best(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    chat.say("/papers schedule weekly fri 17:00 top only")
    exported = chat.reply("/papers export")
    assert isinstance(exported, r.ExportFile)
    copy = Chat(app, COPY)
    done = app.service.run(COPY, chat.actor, c.Import(tuple(exported.content.splitlines())))
    assert isinstance(done, r.Imported)
    assert done.describe() == ("1 subscription added, posts never (off), the week's best every Friday at 17:00 UTC.")
    assert copy.say("/papers list").replace("copy", "lab") == chat.say("/papers list")


def test_a_bad_weekly_best_is_refused_by_its_line_number(app: App) -> None:
    lines = [
        '{"channel": "terminal:x", "query": "robotics", "weekly_best": "17:00 Mars/Olympus weekly friday"}',
        '{"channel": "terminal:x", "query": "robotics", "weekly_best": 5}',
        '{"channel": "terminal:x", "query": "robotics", "weekly_best": "daily 17:00"}',
    ]
    report = import_lines(app.engine, app.taxonomy, lines)
    assert [number for number, _ in report.refused] == [1, 2, 3]
    assert "Mars/Olympus` is not a time zone" in report.refused[0][1]
    assert '"weekly_best" must be text' in report.refused[1][1]
    assert "once a week" in report.refused[2][1]

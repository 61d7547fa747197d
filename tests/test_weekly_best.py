"""The week's best: `/papers schedule weekly DAY HH:MM top` posts once a week, on its day only, most upvoted first."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.delivery.passes import deliver_due
from bot.delivery.schedule_words import parse_weekly_best
from bot.delivery.senders import RecordingSender
from bot.domain import WEEKDAYS, ChannelRef, Schedule
from bot.errors import BadSchedule
from storage.tables import PaperRow
from storage.uow import UnitOfWork
from tests.chat import Chat

LAB = ChannelRef("terminal", "local", "lab")
TODAY = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
DAYS = [TODAY + timedelta(days=k) for k in range(1, 8)]  # the coming week, each day at 09:30 UTC
BEST_DAY = DAYS[2]


def week_of_passes(app: App, sender: RecordingSender) -> dict[datetime, list[str]]:
    """One delivery pass a day (and a second the same day) for the coming week; what each posted, by feed."""
    posted: dict[datetime, list[str]] = {}
    for day in DAYS:
        for moment in (day, day + timedelta(hours=5)):
            before = len(sender.messages)
            deliver_due(app.engine, app.matcher, {"terminal": sender}, moment, cap=app.settings.digest_cap)
            posted[moment] = sorted({m.channel for m in sender.messages[before:]})
    return posted


@pytest.fixture(autouse=True)
def upvoted(app: App) -> None:
    """The bundled papers carry no upvotes: give each a number that has nothing to do with its relevance,
    as a Hugging Face refresh would (upvotes change in place)."""
    with UnitOfWork(app.engine) as uow:
        for row in uow.session.execute(select(PaperRow)).scalars():
            row.upvotes = zlib.crc32(row.key.encode()) % 500
        uow.commit()


def upvotes(app: App, keys: list[str]) -> list[int]:
    with UnitOfWork(app.engine) as uow:
        return [(paper.upvotes or 0) for key in keys if (paper := uow.papers.get(key))]


def test_the_weekly_best_posts_on_its_day_only_most_upvoted_first(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    day = WEEKDAYS[BEST_DAY.weekday()][:3]
    answer = chat.say(f"/papers schedule weekly {day} 09:00 UTC top")
    assert "scheduled this channel's weekly best-of post every " + WEEKDAYS[BEST_DAY.weekday()].capitalize() in answer
    assert "The week's best, most upvoted first: every" in chat.say("/papers list")
    everything = chat.reply("/papers digest")  # every match of the week, before any post
    assert isinstance(everything, r.DigestPreview)
    matched = sorted((m.paper.upvotes or 0 for m in everything.digest.matches), reverse=True)

    sender = RecordingSender()
    posted = week_of_passes(app, sender)

    best = str(LAB.weekly_best())
    assert [moment for moment, feeds in posted.items() if best in feeds] == [BEST_DAY]  # once, on its day
    keys = [key for m in sender.messages if m.channel == best for key in m.paper_keys]
    title = next(m.title for m in sender.messages if m.channel == best)
    assert title.startswith("The week's best:") and "most upvoted first" in title
    assert len(keys) == app.settings.digest_cap == len(set(keys))
    votes = upvotes(app, keys)
    assert votes == sorted(votes, reverse=True) and votes[0] > votes[-1]  # ranked by upvotes, not relevance
    # They are the most upvoted of everything the subscription matched this week.
    assert votes == matched[: len(votes)]
    # Alongside: the channel's regular posts went on as before, to the channel itself.
    assert any(str(LAB) in feeds for feeds in posted.values())


def test_top_only_replaces_the_regular_post_and_top_off_stops_it(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    day = WEEKDAYS[BEST_DAY.weekday()]
    answer = chat.say(f"/papers schedule 09:00 weekly {day} top only")
    assert "(instead of the regular post)" in answer
    assert "Posts never (off)" in chat.say("/papers list")

    sender = RecordingSender()
    posted = week_of_passes(app, sender)
    assert {moment: feeds for moment, feeds in posted.items() if feeds} == {BEST_DAY: [str(LAB.weekly_best())]}

    assert "turned this channel's weekly best-of post off" in chat.say("/papers schedule top off")
    assert "The week's best" not in chat.say("/papers list")


def test_a_person_gets_their_own_week_s_best(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning for me")
    answer = chat.say(f"/papers schedule weekly {WEEKDAYS[BEST_DAY.weekday()]} 09:00 top only for me")
    assert "your feed's weekly best-of post" in answer

    sender = RecordingSender()
    posted = week_of_passes(app, sender)
    mine = str(ChannelRef.person("terminal", "local", chat.actor.id).weekly_best())
    assert {moment: feeds for moment, feeds in posted.items() if feeds} == {BEST_DAY: [mine]}


@pytest.mark.parametrize(
    ("typed", "schedule", "only"),
    [
        ("weekly mon 09:00 top", Schedule(datetime.min.time().replace(hour=9), "UTC", "weekly", 0), False),
        (
            "top 17:30 friday Europe/Paris only",
            Schedule(datetime.min.time().replace(hour=17, minute=30), "Europe/Paris", "weekly", 4),
            True,
        ),
        ("08:00 top", Schedule(datetime.min.time().replace(hour=8), "UTC", "weekly", 0), False),
    ],
)
def test_the_weekly_best_words_come_in_any_order(typed: str, schedule: Schedule, only: bool) -> None:
    assert parse_weekly_best(typed) == (schedule, only)
    assert c.parse_command(f"/papers schedule {typed}") == c.SetSchedule(typed)


def test_top_off_and_bad_weekly_best_input() -> None:
    assert parse_weekly_best("top off") == (None, False)
    with pytest.raises(BadSchedule, match="needs a time"):
        parse_weekly_best("weekly mon top")
    with pytest.raises(BadSchedule, match="not a time zone"):
        parse_weekly_best("weekly mon 09:00 Mars/Olympus top")

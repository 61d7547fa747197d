"""`papers-bot deliver --now` on a controlled clock: a post that is off stays off, each week's best goes out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.delivery.passes import PassReport, deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import ChannelRef
from storage.uow import UnitOfWork
from tests.chat import Chat

LAB = ChannelRef("terminal", "local", "lab")
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 UTC


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment counted from Monday 30 November 2026 00:00 UTC (day 0 = that Monday)."""
    return MONDAY.replace(hour=0) + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture(autouse=True)
def on_monday(app: App) -> None:
    app.service.clock = lambda: MONDAY


def created_last_week(app: App, *channels: ChannelRef) -> None:
    """The feeds were made a week before the story starts (not at whatever the machine's clock says)."""
    with UnitOfWork(app.engine) as uow:
        for channel in channels:
            uow.channels.row(channel).created_at = MONDAY - timedelta(days=7)
        uow.commit()


def deliver(app: App, sender: RecordingSender, now: datetime, force: bool = False) -> tuple[PassReport, list[str]]:
    """One pass; the report and the feeds it posted to."""
    before = len(sender.messages)
    report = deliver_due(app.engine, app.matcher, {"terminal": sender}, now, force=force, cap=app.settings.digest_cap)
    return report, sorted({m.channel for m in sender.messages[before:]})


def test_a_channel_whose_post_is_off_gets_nothing_from_deliver_now(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    chat.say("/papers schedule 09:00 off")
    sender = RecordingSender()

    report, posted = deliver(app, sender, MONDAY, force=True)

    assert posted == []
    assert report.posted == 0
    assert f"{LAB}: its post is off, so nothing was sent" in report.summary()


def test_deliver_now_still_posts_to_a_channel_whose_post_is_on(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    report, posted = deliver(app, RecordingSender(), MONDAY, force=True)
    assert posted == [str(LAB)] and report.posted == 1


def test_two_deliver_now_in_one_week_send_the_week_s_best_once(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    chat.say("/papers schedule weekly fri 17:00 Europe/Paris top only")
    created_last_week(app, LAB, LAB.weekly_best())
    sender = RecordingSender()
    best = str(LAB.weekly_best())

    first, posted = deliver(app, sender, at(0, 10), force=True)  # Monday: last Friday's week had no post yet
    assert posted == [best]
    assert f"{LAB}: its post is off" in first.summary()  # `only`: the regular post is off

    second, posted = deliver(app, sender, at(1, 10), force=True)  # Tuesday, the same week
    assert posted == []
    assert f"{best}: this week's best was already sent; the next is due Fri 04 Dec 2026 17:00 Europe/Paris" in (
        second.summary()
    )

    assert deliver(app, sender, at(4, 16, 5))[1] == [best]  # Friday 17:05 in Paris: this week's, on its day
    assert deliver(app, sender, at(4, 18), force=True)[1] == []  # and not once more that evening
    assert deliver(app, sender, at(6, 12), force=True)[1] == []  # nor on Sunday
    assert deliver(app, sender, at(11, 16, 5))[1] == [best]  # the next Friday


def test_the_week_s_best_turned_off_gets_nothing_from_deliver_now(chat: Chat, app: App) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    chat.say("/papers schedule weekly fri 17:00 top")
    chat.say("/papers schedule top off")
    report, posted = deliver(app, RecordingSender(), MONDAY, force=True)
    assert posted == [str(LAB)]
    assert f"{LAB.weekly_best()}: its week's best is off, so nothing was sent" in report.summary()

"""Replies say times in the channel's (or person's) zone, labelled, and counts in plain English (`1 topic`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from adapters.discord import replies as discord_replies
from adapters.slack import replies as slack_replies
from adapters.terminal.render import render as terminal_render
from bot.app import App
from bot.chat import replies as r
from bot.chat.transfer import ImportReport
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import Actor, ChannelRef, Schedule
from bot.wording import clock_time, estimate, plural
from storage.tables import FeedbackRow
from tests.chat import Chat

LAB = ChannelRef("terminal", "local", "lab")
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 UTC
# Counts that disagree with their noun, rates of nothing, and a preposition after "to" that doubles one.
MISTAKES = re.compile(
    r"(?<![\d.,])1 (?:new )?(?:papers|topics|subscriptions|schedules|lines|changes|days)\b"
    r"|\b0\.0 papers|\bto (?:on|every|never)\b"
)


@pytest.fixture
def lab(chat: Chat, app: App) -> Chat:
    """The lab channel on Monday 30 November 2026, 10:00 UTC."""
    app.service.clock = lambda: MONDAY
    return chat


def test_the_week_s_best_says_its_next_time_in_the_channel_s_zone(lab: Chat) -> None:
    lab.say("/papers subscribe reinforcement-learning")
    lab.say("/papers schedule 09:00 Europe/Paris")
    answer = lab.say("/papers schedule weekly fri 17:00 top")
    assert answer == (
        "ana scheduled this channel's weekly best-of post every Friday at 17:00 Europe/Paris; "
        "next Fri 04 Dec 2026 17:00 Europe/Paris."
    )
    daily = lab.say("/papers list").splitlines()[-2]
    assert daily == "Posts on weekdays at 09:00 Europe/Paris; next Tue 01 Dec 2026 09:00 Europe/Paris."


def test_status_labels_its_recent_changes_with_the_channel_s_zone(lab: Chat) -> None:
    lab.say("/papers schedule 09:00 Asia/Tokyo")
    lab.say("/papers subscribe reinforcement-learning")
    changes = lab.say("/papers status").split("Recent changes:\n")[1].splitlines()
    assert changes and all(re.match(r"  \d{4}-\d\d-\d\d \d\d:\d\d Asia/Tokyo ana ", line) for line in changes), changes


def test_a_person_s_feed_shows_times_in_the_person_s_zone(app: App) -> None:
    app.service.clock = lambda: MONDAY
    bo = Chat(app, actor=Actor("U2", "bo", tz="Asia/Tokyo"))
    bo.say("/papers subscribe reinforcement-learning for me")
    answer = bo.say("/papers schedule 07:30 for me")
    assert answer == (
        "bo scheduled your feed's post on weekdays at 07:30 Asia/Tokyo; next Tue 01 Dec 2026 07:30 Asia/Tokyo."
    )
    assert "next Tue 01 Dec 2026 07:30 Asia/Tokyo." in bo.say("/papers list mine")


def test_slack_labels_times_with_the_zone_and_discord_shows_each_reader_their_own() -> None:
    paris = datetime(2026, 12, 4, 17, 0, tzinfo=ZoneInfo("Europe/Paris"))
    reply = r.ScheduleSet(Schedule(time(17, 0), "Europe/Paris", "weekly", 4), "ana", paris, post="weekly best-of post")
    slack = slack_replies.render(reply)["blocks"][0]["text"]["text"]
    assert slack.endswith(
        "scheduled this channel's weekly best-of post every Friday at 17:00 Europe/Paris; "
        "next Fri 04 Dec 2026 17:00 Europe/Paris."
    )
    discord = discord_replies.render(reply).content
    assert f"next <t:{int(paris.timestamp())}:f>." in discord and "to every" not in discord


def test_clock_time_names_the_zone_not_an_abbreviation() -> None:
    dubai = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    assert clock_time(dubai) == "Mon 07 Dec 2026 09:00 Asia/Dubai"  # its abbreviation would be "+04"
    assert clock_time(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)) == "Mon 07 Dec 2026 09:00 UTC"
    assert clock_time(None) == "never"


@pytest.mark.parametrize(("count", "said"), [(0, "0 topics"), (1, "1 topic"), (2, "2 topics"), (2000, "2,000 topics")])
def test_one_helper_makes_every_plural(count: int, said: str) -> None:
    assert plural(count, "topic") == said


@pytest.mark.parametrize(
    ("rate", "said"),
    [
        (0.0, "Nothing in the last 7 days would have matched."),
        (1 / 7, "Over the last 7 days that would have been 1 paper."),
        (3 / 7, "Over the last 7 days that would have been 3 papers."),
        (1.0, "Over the last 7 days that would have been about 1 paper a day."),
        (62 / 7, "Over the last 7 days that would have been about 8.9 papers a day."),
    ],
)
def test_the_estimate_never_says_about_nought_papers_a_day(rate: float, said: str) -> None:
    assert estimate(rate, 7) == said


def test_counts_of_one_in_topics_and_imports() -> None:
    assert r.TopicList("rl", (("rl", "Reinforcement learning", 0),), 1).count() == "1 topic"
    assert r.TopicList("", (("rl", "Reinforcement learning", 0),), 181).count() == "1 of 181 topics"
    report = ImportReport(added=1, schedules=1, refused=[(2, "bad")])
    assert report.line() == "1 added, 0 already there, 1 schedule set, 1 line refused"


def test_a_whole_session_has_no_count_or_preposition_mistake_on_any_platform(lab: Chat) -> None:
    replies = [
        lab.reply(text)
        for text in (
            '/papers subscribe "zebra finch quantum"',
            "/papers list",
            "/papers unsubscribe 3",
            "/papers schedule 08:30 Europe/Berlin weekdays",
            "/papers schedule daily",
            "/papers schedule weekly fri 17:00",
            "/papers schedule weekly mon 09:00 top",
            "/papers schedule top off",
            "/papers schedule off",
            "/papers topics",
            "/papers topics reinforcement-learning",
            "/papers export",
            "/papers status",
        )
    ]
    for render in (terminal_render, slack_text, discord_text):
        transcript = "\n".join(map(render, replies))
        assert "Nothing in the last 7 days would have matched." in transcript, render
        assert not MISTAKES.findall(transcript), (render, MISTAKES.findall(transcript))


def slack_text(reply: r.Reply) -> str:
    return json.dumps(slack_replies.render(reply), ensure_ascii=False)


def discord_text(reply: r.Reply) -> str:
    message = discord_replies.render(reply)
    return json.dumps([message.content, *(embed.to_dict() for embed in message.embeds)], ensure_ascii=False)


def test_a_post_s_title_gives_the_day_as_the_channel_s_clock_shows_it(lab: Chat, app: App) -> None:
    lab.say("/papers subscribe reinforcement-learning")
    lab.say("/papers schedule 09:30 Pacific/Auckland")
    lab.say("/papers schedule weekly fri 17:00 top")  # in the channel's zone
    evening = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # Monday evening in UTC, Tuesday 09:30 in Auckland
    app.service.clock = lambda: evening
    preview = lab.reply("/papers digest")
    assert isinstance(preview, r.DigestPreview) and preview.digest.title.endswith(", Tue 1 Dec")

    sender = RecordingSender()
    deliver_due(app.engine, app.matcher, {"terminal": sender}, evening, force=True)
    titles = {m.channel: m.title for m in sender.messages if m.part == 0}
    assert titles[str(LAB)].endswith(", Tue 1 Dec")
    assert titles[str(LAB.weekly_best())].endswith("(week to Tue 1 Dec)")


def test_saved_papers_are_dated_as_the_channel_s_clock_showed_it(lab: Chat, app: App) -> None:
    lab.say("/papers schedule 09:30 Pacific/Auckland")
    with app.service.uow() as uow:
        key = next(p.arxiv_id for p in uow.papers.added_since(datetime(2000, 1, 1, tzinfo=UTC)) if p.arxiv_id)
    assert "Saved" in lab.say(f"/papers save {key}")
    with app.service.uow() as uow:  # saved on Monday evening UTC: Tuesday morning in Auckland
        uow.session.execute(update(FeedbackRow).values(at=datetime(2026, 11, 30, 20, 30, tzinfo=UTC)))
        uow.commit()
    assert "saved by U1 on 01 Dec 2026" in lab.say("/papers saved")

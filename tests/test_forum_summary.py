"""`/papers schedule … summary on|off`: whether a forum channel's feed posts the day's list besides a post per paper."""

from __future__ import annotations

from adapters.discord.sender import DiscordSender
from bot.app import App
from bot.delivery.passes import deliver_due
from tests.chat import Chat
from tests.discord_forum_api import FORUM, ForumStandIn
from tests.test_delivery import at, build, channel_row, setup
from tests.test_discord_forums import FORUM_FEED, api, sender  # noqa: F401 the stand-in and sender fixtures


def test_summary_off_then_on(app: App, api: ForumStandIn, sender: DiscordSender) -> None:
    forum = Chat(app, FORUM_FEED)
    setup(app.engine, FORUM_FEED, range(4))
    wanted = {str(FORUM_FEED): [0, 1]}

    assert forum.say("/papers schedule summary off").startswith("ana turned this channel's summary post off")
    assert channel_row(app.engine, FORUM_FEED).summary is False
    deliver_due(app.engine, wanted, {"discord": sender}, at(0, 9), build=build)
    assert [p["name"] for p in api.forum_posts(FORUM)] == ["Paper number 0", "Paper number 1"]

    said = forum.say("/papers schedule 17:00 summary on")
    assert "scheduled this channel's post" in said and "and turned this channel's summary post on" in said
    deliver_due(app.engine, {str(FORUM_FEED): [2, 3]}, {"discord": sender}, at(1, 17), build=build)
    assert [p["name"] for p in api.forum_posts(FORUM)][2:] == [
        "Paper number 2",
        "Paper number 3",
        "2 new papers for you",
    ]


def test_summary_takes_on_or_off(chat: Chat) -> None:
    said = chat.say("/papers schedule summary maybe")
    assert "`summary` takes on or off" in said and "Usage" in said
    assert "once" in chat.say("/papers schedule summary on summary off")

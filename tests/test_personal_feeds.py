"""Personal feeds: `for me` / `mine` on every command, the same grammar on the terminal, Slack and Discord."""

from __future__ import annotations

import uuid

import pytest

from adapters.slack.translator import Permissions
from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import Actor, ChannelRef, Digest, Match, Paper, Schedule
from bot.errors import BadCommand
from tests.chat import Chat
from tests.discord_chat import EPHEMERAL, EVERYONE, api, sent  # noqa: F401 (api: a fixture)
from tests.discord_chat import Chat as DiscordChat
from tests.discord_chat import chat_test as discord_test
from tests.slack_api import SlackAPI
from tests.test_slack_app import message_text, papers, slack, slack_server, workspace_for  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/papers subscribe reinforcement-learning for me", c.Subscribe("reinforcement-learning", True)),
        ('/papers subscribe "world model" -survey For  Me', c.Subscribe('"world model" -survey', True)),
        ("/papers unsubscribe 2 for me", c.Unsubscribe("2", True)),
        ("/papers list mine", c.ListSubscriptions(True)),
        ("/papers list for me", c.ListSubscriptions(True)),
        ("/papers digest mine", c.PreviewDigest(True)),
        ("/papers status mine", c.Status(True)),
        ("/papers schedule 07:30 Asia/Tokyo daily for me", c.SetSchedule("07:30 Asia/Tokyo daily", True)),
        ("/papers subscribe text mining", c.Subscribe("text mining")),  # a word ending in "mine" is not it
        ("/papers list", c.ListSubscriptions()),
    ],
)
def test_one_word_makes_any_command_about_your_own_feed(typed: str, command: c.Command) -> None:
    assert c.parse_command(typed) == command


def test_for_me_alone_is_not_a_query() -> None:
    with pytest.raises(BadCommand, match="needs a query"):
        c.parse_command("/papers subscribe for me")


def member(app: App, user: str = "U7", tz: str | None = None) -> Chat:
    """Someone who may not change the channel's papers, typing in it."""
    return Chat(app, actor=Actor(user, user.lower(), is_admin=False, tz=tz))


def test_anyone_follows_things_for_themselves_and_only_they_see_it(app: App) -> None:
    bea = member(app, "U7", tz="Asia/Tokyo")
    assert "Only workspace admins" in bea.say("/papers subscribe robotics")

    reply = bea.reply("/papers subscribe reinforcement-learning for me")
    assert isinstance(reply, r.Subscribed) and reply.ephemeral and reply.where == "your feed"
    assert bea.say("/papers list mine").startswith("1. reinforcement-learning")
    assert "on weekdays at 09:00 Asia/Tokyo" in bea.say("/papers list mine")  # starts in their own time zone
    assert "This channel has no subscriptions" in bea.say("/papers list")
    assert "Your feed has no subscriptions" in member(app, "U8").say("/papers list mine")  # each their own
    assert "Your feed has no subscriptions." in member(app, "U8").say("/papers status mine")

    assert "your feed's post every day at 07:30 Asia/Tokyo" in bea.say("/papers schedule 07:30 daily for me")
    assert "Your feed already follows" in bea.say("/papers subscribe reinforcement-learning for me")
    preview = bea.reply("/papers digest mine")
    assert isinstance(preview, r.DigestPreview) and preview.digest.matches and preview.ephemeral
    assert "unsubscribed your feed from reinforcement-learning" in bea.say("/papers unsubscribe 1 for me")


def test_own_subscriptions_is_what_list_mine_shows(app: App) -> None:
    """The core function App Home calls for a person's own subscriptions."""
    member(app, "U7").say("/papers subscribe robotics for me")
    listed = app.service.own_subscriptions("terminal", "local", "U7")
    assert listed.subscriptions == (("robotics", "topic robotics"),) and listed.where == "your feed"
    assert listed == member(app, "U7").reply("/papers list mine")
    assert app.service.own_subscriptions("terminal", "local", "U8").subscriptions == ()


def test_an_unknown_time_zone_from_the_platform_falls_back_to_the_default(app: App) -> None:
    member(app, "U9", tz="Mars/Olympus").say("/papers subscribe robotics for me")
    assert "at 09:00 UTC" in member(app, "U9").say("/papers list mine")


def test_personal_feeds_are_delivery_targets_of_their_own(app: App) -> None:
    member(app, "U7").say("/papers subscribe robotics for me")
    with app.service.uow() as uow:
        [feed] = [ref for ref in uow.subscriptions.channels() if ref.is_personal]
    assert feed == ChannelRef.person("terminal", "local", "U7") == ChannelRef.parse("terminal:@U7")
    assert feed.user_id == "U7" and feed.weekly_best().user_id == "U7"


# --- Slack: a signed slash command; the person's tz comes from users.info ------------------------


def test_slack_a_member_subscribes_for_themselves_in_their_own_time_zone(papers: App, slack: SlackAPI) -> None:
    workspace = workspace_for(papers, slack, Permissions("admins", []))
    user = "U6" + uuid.uuid4().hex[:6].upper()
    slack.state.zones[user] = "America/Los_Angeles"

    [answer] = workspace.replies("subscribe robotics for me", user=user)
    assert answer["response_type"] == "ephemeral"
    assert "subscribed your feed to `robotics`" in message_text(answer)
    assert "at 09:00 America/Los_Angeles" in workspace.say("list mine", user=user)
    assert [call["user"] for call in slack.state.calls_to("users.info")] == [user]  # for the time zone only


# --- Discord: `for_me` needs no Manage Channels -------------------------------------------------


@discord_test
async def test_discord_for_me_needs_no_manage_channels_and_answers_privately(chat: DiscordChat) -> None:
    chat.core.replies[c.Subscribe] = r.Subscribed("robotics", "topic Robotics", "Ada", 1.0, 7, (), ephemeral=True)
    [answer] = await chat.say("subscribe", perms=EVERYONE, query="robotics", for_me=True)

    _, actor, command = chat.core.seen[0]
    assert command == c.Subscribe("robotics", True) and not actor.is_admin
    assert sent(answer)["flags"] & EPHEMERAL


@discord_test
async def test_discord_for_me_typed_in_the_query_counts_too(chat: DiscordChat) -> None:
    chat.core.replies[c.Unsubscribe] = r.Unsubscribed(("robotics",), "Ada", ephemeral=True)
    await chat.say("unsubscribe", perms=EVERYONE, target="robotics for me")

    assert chat.core.seen[0][2] == c.Unsubscribe("robotics", True)


@discord_test
async def test_discord_best_option_is_the_weekly_best_words(chat: DiscordChat) -> None:
    chat.core.replies[c.SetSchedule] = r.ScheduleSet(Schedule(), "Ada", None)
    await chat.say("schedule", time="09:00", day="monday", best="instead")
    await chat.say("schedule", time="09:00", best="off")

    assert [seen[2] for seen in chat.core.seen] == [c.SetSchedule("09:00 monday top only"), c.SetSchedule("top off")]


@discord_test
async def test_discord_pages_of_your_own_digest_stay_yours(chat: DiscordChat) -> None:
    matches = tuple(Match(Paper(f"Paper {n}", "Text.", arxiv_id=f"2611.{n:05d}"), 1.0, ("why",)) for n in range(7))
    mine = ChannelRef.person("discord", "100", "300")
    chat.core.replies[c.PreviewDigest] = r.DigestPreview(Digest(mine, matches, 0, "7 new papers"), ephemeral=True)
    [first] = await chat.say("digest", for_me=True)
    await chat.click(chat.api.message_from(first), "Next ▶")

    assert [seen[2] for seen in chat.core.seen] == [c.PreviewDigest(True), c.PreviewDigest(True)]

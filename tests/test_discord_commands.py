"""/papers on Discord: real interaction payloads through discord.py's CommandTree, answers seen by the REST stand-in."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord import app as discord_app
from adapters.discord import views as discord_views
from adapters.discord.app import NEEDS_MANAGE_CHANNELS, build_client, guild_count
from adapters.discord.sync import sync_commands
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import ChannelRef, Digest, Found, Match, Schedule
from tests.discord_api import APP_ID, Call, DiscordStandIn
from tests.discord_chat import (
    EPHEMERAL,
    EVERYONE,
    HOSTILE,
    Chat,
    Core,
    api,
    chat_test,
    paper,
    sent,
)

__all__ = ["api"]  # the stand-in fixture


@chat_test
async def test_a_moderator_subscribes_and_the_channel_sees_it(chat: Chat) -> None:
    chat.core.replies[c.Subscribe] = r.Subscribed(
        "reinforcement-learning",
        "topic Reinforcement learning",
        "Ada",
        2.3,
        7,
        (Match(paper(1), 0.9, ("topic (title)",)),),
    )
    [answer] = await chat.say("subscribe", query="reinforcement-learning")

    channel, actor, command = chat.core.seen[0]
    assert command == c.Subscribe("reinforcement-learning")
    assert channel == ChannelRef("discord", "100", "200") and actor.name == "Ada" and actor.is_admin
    assert answer.body["type"] == 4 and not sent(answer).get("flags", 0) & EPHEMERAL
    assert sent(answer)["content"].startswith("**Ada** subscribed this channel to `reinforcement-learning`")
    assert sent(answer)["allowed_mentions"] == {"parse": []}


@chat_test
async def test_a_member_without_manage_channels_is_refused_privately(chat: Chat) -> None:
    [answer] = await chat.say("unsubscribe", perms=EVERYONE, target="all")

    assert chat.core.seen == []
    assert sent(answer)["content"] == NEEDS_MANAGE_CHANNELS and sent(answer)["flags"] & EPHEMERAL


@chat_test
async def test_schedule_options_become_one_schedule_line(chat: Chat) -> None:
    chat.core.replies[c.SetSchedule] = r.ScheduleSet(Schedule(), "Ada", None)
    await chat.say("schedule", time="08:30", tz="Europe/Berlin", cadence="weekly", day="friday")

    assert chat.core.seen[0][2] == c.SetSchedule("08:30 Europe/Berlin weekly friday")


@chat_test
async def test_a_schedule_needs_no_time_to_turn_the_post_off_or_change_its_days(chat: Chat) -> None:
    chat.core.replies[c.SetSchedule] = r.ScheduleSet(Schedule(), "Ada", None)
    await chat.say("schedule", cadence="off")
    await chat.say("schedule", cadence="weekly", day="friday")

    assert [seen[2] for seen in chat.core.seen] == [c.SetSchedule("off"), c.SetSchedule("weekly friday")]


@chat_test
async def test_typing_a_topic_suggests_slugs(chat: Chat) -> None:
    choices = await chat.type_ahead("subscribe", "query", "reinforc")

    assert "reinforcement-learning" in [ch["value"] for ch in choices]
    assert len(choices) <= 25 and all(len(ch["name"]) <= 100 for ch in choices)
    assert chat.core.seen == []


@chat_test
async def test_typing_a_title_suggests_papers_by_arxiv_id(chat: Chat) -> None:
    choices = await chat.type_ahead("find", "text", "go explor")

    assert chat.core.suggested == [("go explor", 25)]
    assert choices == [{"name": paper(1).title, "value": "1901.10996"}]


@chat_test
async def test_a_slow_find_is_deferred_then_followed_up_with_pages(chat: Chat) -> None:
    chat.slow_core()
    chat.core.replies[c.Find] = r.FindResults("go explor", tuple(Found(paper(n), 90 - n, "title") for n in range(5)))
    defer, follow_up = await chat.say("find", text="go explor")

    assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert follow_up.path == f"/webhooks/{APP_ID}/{defer.path.split('/')[3]}"
    assert len(sent(follow_up)["embeds"]) == 3 and sent(follow_up)["flags"] & EPHEMERAL
    assert [b["label"] for b in sent(follow_up)["components"][0]["components"]] == ["◀ Previous", "Next ▶"]


@chat_test
async def test_next_page_of_find_results_works_from_the_message_alone(chat: Chat) -> None:
    chat.core.replies[c.Find] = r.FindResults("go explor", tuple(Found(paper(n), 90 - n, "title") for n in range(5)))
    [first] = await chat.say("find", text="go explor")
    [turned] = await chat.click(chat.api.message_from(first), "Next ▶")

    assert chat.core.seen[-1][2] == c.Find("go explor")
    assert turned.body["type"] == 7 and "page 2/2" in sent(turned)["content"]
    assert len(sent(turned)["embeds"]) == 2


@chat_test
async def test_digest_preview_pages_through_the_rest(chat: Chat) -> None:
    matches = tuple(Match(paper(n), 1.0, ("topic (title)",)) for n in range(7))
    chat.core.replies[c.PreviewDigest] = r.DigestPreview(
        Digest(ChannelRef("discord", "100", "200"), matches, 2, "7 new papers")
    )
    [first] = await chat.say("digest")
    [second] = await chat.click(chat.api.message_from(first), "Next ▶")

    assert "page 1/3" in sent(first)["content"]
    assert "page 2/3" in sent(second)["content"] and len(sent(second)["embeds"]) == 3


@chat_test
async def test_a_slow_refusal_after_a_public_thinking_stays_private(chat: Chat) -> None:
    chat.slow_core()  # scripted reply is a Problem: private, though subscribe usually answers in public
    defer, delete, follow_up = await chat.say("subscribe", query="reinforcment-learning")

    assert defer.body == {"type": 5}  # public thinking: no ephemeral flag
    assert delete.method == "DELETE" and delete.path.endswith("/messages/@original")
    assert sent(follow_up)["flags"] & EPHEMERAL and "scripted nothing" in sent(follow_up)["content"]


@chat_test
async def test_a_hostile_title_in_find_results_is_harmless(chat: Chat) -> None:
    chat.core.replies[c.Find] = r.FindResults(HOSTILE, (Found(paper(1, HOSTILE), 99.0, HOSTILE),))
    [answer] = await chat.say("find", text=HOSTILE)

    assert sent(answer)["allowed_mentions"] == {"parse": []}
    assert sent(answer)["embeds"][0]["title"] == "@\u200beveryone \\*\\*free\\*\\* \\[click\\](https://x)"
    assert "@everyone" not in sent(answer)["content"]


@chat_test
async def test_commands_sync_to_the_development_guild_once_until_they_change(chat: Chat) -> None:
    development = build_client(chat.core, guild_id=100)  # type: ignore[arg-type]  # DISCORD_GUILD_ID=100
    async with development:
        await development.login("test-token")
        with tempfile.TemporaryDirectory() as folder:
            stored = Path(folder) / "papers.db.discord-commands.json"
            assert await sync_commands(development, 100, stored)
            assert not await sync_commands(development, 100, stored)  # a restart: Discord has this tree already
            assert await sync_commands(chat.client, None, stored)  # globally is another scope
            development.tree.add_command(  # type: ignore[attr-defined]
                app_commands.Command(name="ping", description="a new command", callback=_ping),
                guild=discord.Object(id=100),
            )
            assert await sync_commands(development, 100, stored)  # the tree changed
            assert await sync_commands(development, 100, stored, force=True)  # papers-bot discord sync

    puts = [call for call in chat.api.calls if call.method == "PUT"]
    assert [p.path for p in puts] == [
        f"/applications/{APP_ID}/guilds/100/commands",
        f"/applications/{APP_ID}/commands",
    ] + [f"/applications/{APP_ID}/guilds/100/commands"] * 2
    group, menu = puts[0].body
    assert (group["name"], menu["name"], menu["type"]) == ("papers", "Look up paper", 3)  # a message command
    assert {o["name"] for o in group["options"]} == set(c.USAGE) | {"home"}  # home: Discord's own
    for command in (group, menu):  # a guild's commands: none of the global-only fields set
        assert command.get("contexts") is None and command.get("integration_types") is None, command["name"]
        assert command.get("dm_permission") is not True, command["name"]
    for command in puts[1].body:  # globally: installed to servers and people; servers, the bot's DMs, group DMs
        assert command["contexts"] == [0, 1, 2] and command["integration_types"] == [0, 1], command["name"]
        assert command["dm_permission"] is True, command["name"]  # deprecated, and saying the same


async def _ping(interaction: discord.Interaction) -> None:
    pass


def test_the_client_is_sharded_above_the_configured_guild_count(api: DiscordStandIn) -> None:
    api.guild_count = 1500
    assert asyncio.run(guild_count("test-token")) == 1500
    assert type(build_client(Core(), sharded=True)).__name__ == "AutoShardedClient"  # type: ignore[arg-type]
    assert discord_app.CHOICES == 25


@chat_test
async def test_help_for_one_command_is_a_choice(chat: Chat) -> None:
    await chat.say("help", perms=EVERYONE, command="find")

    assert chat.core.seen[0][2] == c.Help("find")


def test_with_the_real_core_a_subscription_is_announced_then_known(
    api: DiscordStandIn, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import build_app
    from bot.config import Settings

    # One answer each, however loaded the machine: a core slower than QUICK would be deferred, then followed up.
    monkeypatch.setattr(discord_views, "QUICK", 60.0)
    app = build_app(Settings(database_url=f"sqlite:///{tmp_path / 'papers.db'}", _env_file=None))

    async def go() -> tuple[list[Call], list[Call]]:
        chat = Chat(api, app)  # type: ignore[arg-type]
        async with chat.client:
            await chat.client.login("test-token")
            return await chat.say("subscribe", query="reinforcement-learning"), await chat.say(
                "subscribe", query="reinforcement-learning"
            )

    [announced], [again] = asyncio.run(go())
    assert sent(announced)["content"].startswith("**Ada** subscribed this channel to `reinforcement-learning`")
    assert not sent(announced).get("flags", 0) & EPHEMERAL
    assert "already follows `reinforcement-learning`" in sent(again)["content"] and sent(again)["flags"] & EPHEMERAL


def test_papers_bot_discord_sync_sends_the_commands_whatever_was_stored(api: DiscordStandIn, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from adapters.cli import cli

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}",
        "DISCORD_TOKEN": "test-token",
        "DISCORD_GUILD_ID": "100",
    }
    runs = [CliRunner().invoke(cli, ["discord", "sync"], env=env) for _ in range(2)]
    assert [run.exit_code for run in runs] == [0, 0], runs[0].output
    assert "commands synced to guild 100" in runs[1].output
    assert len([call for call in api.calls if call.method == "PUT"]) == 2
    assert (tmp_path / "papers.db.discord-commands.json").exists()  # so that `run` does not send them again

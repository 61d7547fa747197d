"""The user-installed app: where /papers may be used, whether the bot is in the conversation, and what needs it there.

Installed to a person (not only to a server), /papers follows them into servers the bot has not joined and
into direct messages. There the bot can neither post nor read: it answers through the interaction alone,
and whatever a command does is about the person's own feed, which is one feed across Discord (delivered by
direct message). What only a channel's own feed can do (subscribing the channel) is refused in one sentence.
"""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.forum_channels import feed_id
from bot.chat import commands as c
from bot.domain import ChannelRef

PEOPLE = "users"  # the workspace of everyone's own feed: `discord:users:@<user id>` (migration 0009 names it too)


class NeedsTheBot(app_commands.CheckFailure):
    """A change to a channel's own feed where the bot is not a member: the sentence to answer with."""

    def __init__(self, command: str) -> None:
        self.text = (
            "papers-bot is not in this conversation, so it cannot post here: say `for me` to change your own feed "
            "(by direct message), or add papers-bot to the server for its channels.\n" + c.usage_line(command)
        )
        super().__init__(self.text)


def bot_is_here(interaction: discord.Interaction) -> bool:
    """A server channel of a server the app is installed to (the bot is a member): the channel's feed is there."""
    return interaction.is_guild_integration()


def in_own_conversation(interaction: discord.Interaction) -> bool:
    """The person's direct messages with the bot: where their own feed is delivered, so what they say is about it."""
    return interaction.guild_id is None and bool(interaction.context.dm_channel)


def for_me(interaction: discord.Interaction) -> bool:
    """The `for_me` option, or `for me` typed at the end of any text option."""
    typed = [v for v in vars(interaction.namespace).values() if isinstance(v, str)]
    return bool(getattr(interaction.namespace, "for_me", False)) or any(c.personal(v)[1] for v in typed)


def channel_of(interaction: discord.Interaction) -> ChannelRef:
    """The feed a command is about: the channel where the bot is a member, else the person's own feed."""
    if bot_is_here(interaction):  # in one of a forum's posts, the forum
        return ChannelRef("discord", str(interaction.guild_id), str(feed_id(interaction)))
    return ChannelRef.person("discord", PEOPLE, str(interaction.user.id))


def own_feed_only(interaction: discord.Interaction) -> bool:
    """Where the bot is not a member, a change is to the person's own feed: said in their direct messages with the
    bot, that is what they mean; elsewhere their words name the channel, which the bot cannot serve (NeedsTheBot)."""
    if in_own_conversation(interaction):
        return True
    raise NeedsTheBot(interaction.command.name if interaction.command else "subscribe")


def may_change_feed(interaction: discord.Interaction) -> bool:
    """Manage Channels changes a channel's papers; anyone changes their own (`for_me`, or `for me` typed)."""
    if for_me(interaction):
        return True
    if not bot_is_here(interaction):  # the user-installed app: no channel's feed here to change
        return own_feed_only(interaction)
    if interaction.permissions.manage_channels:
        return True
    raise app_commands.MissingPermissions(["manage_channels"])

"""Commands typed in a forum: a forum has no message box, so `/papers` is typed in one of its posts and means the forum."""

from __future__ import annotations

from dataclasses import replace

import discord

from adapters.discord.render import Message
from bot.chat import replies as r

UNTAGGED = (
    "This forum's posts will have no tags: tagging them with the papers' topics needs the Manage Channels "
    "permission, which I don't have here."
)


def forum_of(interaction: discord.Interaction) -> discord.ForumChannel | None:
    """The forum (or media channel) the interaction was typed in, through one of its posts; None elsewhere."""
    channel = interaction.channel
    if isinstance(channel, discord.ForumChannel):
        return channel
    if isinstance(channel, discord.Thread) and channel.parent_id:
        parent = interaction.client.get_channel(channel.parent_id)  # the Guilds intent keeps the server's channels
        return parent if isinstance(parent, discord.ForumChannel) else None
    return None


def feed_id(interaction: discord.Interaction) -> int | None:
    """Whose feed a command in this conversation changes: the forum's for one of its posts, else the channel's."""
    forum = forum_of(interaction)
    return forum.id if forum is not None else interaction.channel_id


def with_forum_note(interaction: discord.Interaction, reply: r.Reply, message: Message) -> Message:
    """A forum subscribed without Manage Channels: the subscribe reply says that its posts go untagged."""
    if not isinstance(reply, r.Subscribed) or reply.where != "this channel" or forum_of(interaction) is None:
        return message
    if interaction.app_permissions.manage_channels:
        return message
    return replace(message, content=f"{message.content}\n{UNTAGGED}".strip())

"""Discord's raw reaction events on the bot's posts, translated into the core's reactions."""

from __future__ import annotations

import asyncio

import discord

from bot.app import App
from bot.domain import ChannelRef
from bot.feedback.reactions import Reaction, count_reaction, kind_of


async def feeds_of(client: discord.Client, payload: discord.RawReactionActionEvent) -> tuple[ChannelRef, ...]:
    """The channel the message is in, and the channel a thread hangs from (a post's papers are in its thread);
    none for a direct message (the core looks among the person's own feeds)."""
    if payload.guild_id is None:
        return ()
    guild = str(payload.guild_id)
    feeds = [ChannelRef("discord", guild, str(payload.channel_id))]
    where = client.get_channel(payload.channel_id)  # a connected bot has its threads cached; else one GET
    if where is None:
        try:
            where = await client.fetch_channel(payload.channel_id)
        except discord.HTTPException:
            where = None
    if isinstance(where, discord.Thread) and where.parent_id:
        feeds.append(ChannelRef("discord", guild, str(where.parent_id)))
    return tuple(feeds)


def counts(client: discord.Client, payload: discord.RawReactionActionEvent) -> bool:
    """A thumb (not a custom emoji) by someone other than the bot, on a message the bot may have sent."""
    me = client.user.id if client.user else None
    if payload.emoji.id is not None or kind_of(payload.emoji.name or "") is None:
        return False
    # Discord names the message's author on additions only; the outbox decides the rest.
    return payload.user_id != me and payload.message_author_id in (None, me)


def register_reactions(client: discord.Client, app: App) -> None:
    """A thumbs up on a message of a post likes its papers, a thumbs down dislikes them; removing it takes it back."""

    async def reacted(payload: discord.RawReactionActionEvent) -> None:
        if not counts(client, payload):
            return
        feeds = await feeds_of(client, payload)
        added = payload.event_type == "REACTION_ADD"
        # A direct message's event names no server: any of the person's own feeds may have posted there.
        direct = "discord" if payload.guild_id is None else None
        actor, emoji = str(payload.user_id), payload.emoji.name or ""
        reaction = Reaction(feeds, str(payload.message_id), actor, emoji, added, direct)
        await asyncio.to_thread(count_reaction, app.engine, reaction, app.service.clock())

    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        await reacted(payload)

    async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
        await reacted(payload)

    client.event(on_raw_reaction_add)
    client.event(on_raw_reaction_remove)

"""Discord's "Look up paper" message command and `/papers import`'s attached file, translated for the core."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands

from adapters.discord.replies import render
from adapters.discord.tree import scope
from adapters.discord.views import app_of, respond
from bot.chat import commands as c
from bot.chat.limits import MAX_IMPORT_BYTES
from bot.errors import BadInput

log = logging.getLogger(__name__)

LOOK_UP = "Look up paper"


async def look_up_paper(interaction: discord.Interaction, message: discord.Message) -> None:
    """The papers a message links to, answered only to whoever asked (Discord sends the message: no intent needed)."""
    await interaction.response.defer(thinking=True, ephemeral=True)  # an unknown paper is asked of arXiv: seconds
    text = " ".join([message.content, *(embed.url or "" for embed in message.embeds)])
    reply = await asyncio.to_thread(app_of(interaction).lookup.look_up, text)
    await respond(interaction, render(reply))


def look_up_menu(guild_id: int | None = None) -> app_commands.ContextMenu:
    """Where /papers is (servers, and people who installed the app): its constructor takes no `guild_only`."""
    options = scope(guild_id)
    menu = app_commands.ContextMenu(
        name=LOOK_UP,
        callback=look_up_paper,
        allowed_contexts=options.get("allowed_contexts"),
        allowed_installs=options.get("allowed_installs"),
    )
    menu.guild_only = options["guild_only"]
    return menu


async def attached_import(attachment: discord.Attachment) -> c.Import:
    """The attached file as an import's lines; BadInput when it is too big or not text."""
    if attachment.size > MAX_IMPORT_BYTES:
        raise BadInput(f"That file is over {MAX_IMPORT_BYTES // 1024} KB; an export of one channel is far smaller.")
    try:
        data = await attachment.read()
    except discord.HTTPException as error:
        log.warning("reading the attachment %s failed: %s", attachment.id, error)
        raise BadInput("I could not read that file from Discord; please attach it again.") from None
    try:
        text = data[: MAX_IMPORT_BYTES + 1].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("That file is not text; attach the .jsonl file /papers export gave.") from None
    return c.Import(tuple(line for line in text.splitlines() if line.strip()))

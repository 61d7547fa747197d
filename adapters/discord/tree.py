"""The command tree: where its commands are registered (everywhere, or one development guild), and what it is answering."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands


def scope(guild_id: int | None) -> dict[str, Any]:
    """A top-level command's options for its scope, said the way Discord reads it there.

    Globally: installed to servers and to people (the user-installed app), used in server channels, the bot's
    direct messages and other private channels (`contexts` replaces the deprecated `dm_permission`, which
    discord.py sends anyway: `guild_only` false keeps the two in agreement). Those are global-only fields: a
    development guild's commands carry none of them, exist only in that guild, and stay servers only.
    """
    if guild_id is not None:
        return {"guild_only": True}
    return {
        "guild_only": False,
        "allowed_contexts": app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        "allowed_installs": app_commands.AppInstallationType(guild=True, user=True),
    }


class PapersTree(app_commands.CommandTree):
    """discord.py's tree, knowing which interactions it is answering, so that a stop can wait for them."""

    def __init__(self, client: discord.Client) -> None:
        super().__init__(client)
        self.answering: set[asyncio.Task[Any]] = set()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # Awaited by the task that goes on to run the command (and its error reply): that task is in hand until done.
        task = asyncio.current_task()
        if task is not None and task not in self.answering:
            self.answering.add(task)
            task.add_done_callback(self.answering.discard)
        return True

    async def finish_answering(self, timeout: float) -> int:
        """Wait (at most `timeout` seconds) for the interactions in hand; how many there were."""
        answering = set(self.answering)
        if answering:
            await asyncio.wait(answering, timeout=timeout)
        return len(answering)

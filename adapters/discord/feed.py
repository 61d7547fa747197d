"""`/papers feed`: the subcommand that answers a private feed link, to the asker alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.chat import commands as c

Run = Callable[[discord.Interaction, c.Command], Awaitable[None]]


def feed_command(run: Run) -> app_commands.Command[Any, ..., None]:
    """The subcommand, answering through the group's `run` (never public: the link is the asker's alone)."""

    @app_commands.command(name="feed", description="A private link to the last 30 days of posts: web page, Atom, JSON")
    @app_commands.describe(
        reset="revoke the links you got before and make a new one",
        for_me="your own feed's posts instead of this channel's",
    )
    async def feed(interaction: discord.Interaction, reset: bool = False, for_me: bool = False) -> None:
        await run(interaction, c.FeedUrl(reset=reset, personal=for_me))

    return feed

"""The mark in a post's embed footer: which delivery and part a message is, read back after a crash."""

from __future__ import annotations

import re

import discord

from adapters.discord.render import Message
from bot.delivery.senders import Part

_MARK = re.compile(r"papers-bot ([\w-]{1,64}) · part (\d+)/(\d+)")


def mark_footer(mark: str, part: Part) -> str:
    return f"papers-bot {mark} · part {part.index + 1}/{part.count}"


def read_mark(message: discord.Message | Message) -> tuple[str, int, int] | None:
    """(mark, part index, part count) from one of our messages, read from its embeds' footers."""
    for embed in message.embeds:
        found = _MARK.search(embed.footer.text or "")
        if found:
            return found.group(1), int(found.group(2)) - 1, int(found.group(3))
    return None

"""A chat session against the real service: `say("/papers list")` returns what the channel would read."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.terminal.render import render
from bot.app import App
from bot.chat.replies import Reply
from bot.domain import Actor, ChannelRef


@dataclass
class Chat:
    """One channel and one person typing in it."""

    app: App
    channel: ChannelRef = field(default_factory=lambda: ChannelRef("terminal", "local", "lab"))
    actor: Actor = field(default_factory=lambda: Actor("U1", "ana"))

    def reply(self, text: str) -> Reply:
        return self.app.service.answer(self.channel, self.actor, text)

    def say(self, text: str) -> str:
        return render(self.reply(text))

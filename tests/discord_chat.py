"""One Discord channel for tests: the stand-in core, interaction payloads as Discord sends them, `say`, `click` and `type_ahead`."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.discord import views as discord_views
from adapters.discord.app import build_client
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import ChannelRef, Found, Paper
from bot.relevance.topics import Taxonomy
from tests.discord_api import APP_ID, Call, DiscordStandIn

MANAGE_CHANNELS, EVERYONE = 1 << 4 | 1 << 10 | 1 << 11, 1 << 10 | 1 << 11
HOSTILE = "@everyone **free** [click](https://x)"
EPHEMERAL = 64
_ids = itertools.count(700)


def paper(n: int, title: str = "") -> Paper:
    return Paper(
        title or f"Go-Explore: a new approach for hard-exploration problems, part {n}",
        "We explore.",
        arxiv_id=f"1901.{10995 + n}",
        authors=("Adrien Ecoffet",),
        upvotes=n,
    )


@dataclass
class Core:
    """The bot's core as the adapter sees it: records each command, answers what the test scripted."""

    taxonomy: Taxonomy = field(default_factory=Taxonomy.load)
    seen: list[tuple[ChannelRef, Any, c.Command]] = field(default_factory=list)
    replies: dict[type, r.Reply] = field(default_factory=dict)
    deferred: Callable[[], int] | None = None  # when set, a slow core: it answers only once the adapter has deferred
    suggested: list[tuple[str, int]] = field(default_factory=list)

    @property
    def service(self) -> Core:
        return self

    @property
    def finder(self) -> Core:
        return self

    def click(self, channel: ChannelRef, actor: Any, command: c.Command) -> r.Reply:
        return self.run(channel, actor, command)

    def run(self, channel: ChannelRef, actor: Any, command: c.Command) -> r.Reply:
        self.seen.append((channel, actor, command))
        if self.deferred is not None:
            self.wait_for_a_deferral()
        return self.replies.get(type(command), r.Problem("scripted nothing", "Usage: /papers help"))

    def wait_for_a_deferral(self) -> None:
        """Slow by state, not by seconds: however loaded the machine, the answer comes after the "thinking…"."""
        assert self.deferred is not None
        before, deadline = self.deferred(), time.monotonic() + 30
        while self.deferred() == before and time.monotonic() < deadline:
            time.sleep(0.01)

    def suggest(self, text: str, limit: int) -> list[Found]:
        self.suggested.append((text, limit))
        return [Found(paper(1), 90.0, "title")]


def options(values: dict[str, Any], focused: str | None) -> list[dict[str, Any]]:
    return [
        {"type": 5 if isinstance(v, bool) else 4 if isinstance(v, int) else 3, "name": k, "value": v}
        | ({"focused": True} if k == focused else {})
        for k, v in values.items()
    ]


def interaction(kind: int, data: dict[str, Any], perms: int, message: dict[str, Any] | None = None) -> dict[str, Any]:
    user = {"id": "300", "username": "ada", "global_name": "Ada", "discriminator": "0", "avatar": None}
    return {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": kind,
        "token": f"tok{next(_ids)}",
        "version": 1,
        "guild_id": "100",
        "channel_id": "200",
        "attachment_size_limit": 10_485_760,
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "channel": {
            "id": "200",
            "type": 0,
            "guild_id": "100",
            "name": "papers",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "flags": 0,
        },
        "member": {
            "user": user,
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "permissions": str(perms),
            "flags": 0,
        },
        "app_permissions": str(MANAGE_CHANNELS),
        "authorizing_integration_owners": {"0": "100"},
        "context": 0,
        "data": data,
        **({"message": message} if message else {}),
    }


class Chat:
    """One Discord channel: `say` and `type_ahead` inject what Discord would send, then wait for the bot."""

    def __init__(self, api: DiscordStandIn, core: Core) -> None:
        self.api, self.core = api, core
        self.client = build_client(core)  # type: ignore[arg-type]

    def slow_core(self) -> None:
        """The next commands outlast the adapter's quick window: it defers, then the core answers."""
        self.core.deferred = lambda: sum(
            1 for call in self.api.answers() if isinstance(call.body, dict) and call.body.get("type") in (5, 6)
        )
        discord_views.QUICK = 0.05  # chat_test's monkeypatch restores it

    async def _inject(self, payload: dict[str, Any]) -> list[Call]:
        before = len(self.api.answers())
        self.client._connection.parse_interaction_create(payload)
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if t.get_name().startswith(("CommandTree", "discord-ui"))]
        await asyncio.gather(*pending)
        return self.api.answers()[before:]

    async def say(self, sub: str, perms: int = MANAGE_CHANNELS, **values: Any) -> list[Call]:
        data = {
            "id": "1",
            "name": "papers",
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": options(values, None)}],
        }
        return await self._inject(interaction(2, data, perms))

    async def type_ahead(self, sub: str, option: str, text: str) -> list[dict[str, Any]]:
        data = {
            "id": "1",
            "name": "papers",
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": options({option: text}, option)}],
        }
        [answer] = await self._inject(interaction(4, data, EVERYONE))
        assert answer.body["type"] == 8
        return answer.body["data"]["choices"]

    async def click(self, message: dict[str, Any], label: str) -> list[Call]:
        button = next(b for row in message["components"] for b in row["components"] if b["label"] == label)
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._inject(interaction(3, data, EVERYONE, message))

    async def pick(self, message: dict[str, Any], values: list[str]) -> list[Call]:
        """Choose `values` in the message's select menu (component type 3), as Discord sends it."""
        menu = next(m for row in message["components"] for m in row["components"] if m["type"] == 3)
        data = {"custom_id": menu["custom_id"], "component_type": 3, "values": values}
        return await self._inject(interaction(3, data, EVERYONE, message))


@pytest.fixture
def api() -> Iterator[DiscordStandIn]:
    with DiscordStandIn() as api:
        yield api


def chat_test(body: Callable[[Chat], Awaitable[None]]) -> Callable[[DiscordStandIn], None]:
    """Each test is a coroutine run against a logged-in client on a fresh loop."""

    def test(api: DiscordStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(discord_views, "QUICK", 30.0)  # never deferred by a loaded machine; slow_core() defers

        async def go() -> None:
            chat = Chat(api, Core())
            async with chat.client:
                await chat.client.login("test-token")
                await body(chat)

        asyncio.run(go())

    test.__name__ = body.__name__
    return test


def sent(call: Call) -> dict[str, Any]:
    return call.body.get("data", call.body) if isinstance(call.body, dict) else {}

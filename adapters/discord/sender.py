"""Posts digests to Discord over REST with discord.py's HTTP client, and recognises its own posts by their mark."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import re
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, Route, handle_message_parameters

from adapters.discord.render import (
    COLOUR,
    DESCRIPTION,
    NO_MENTIONS,
    Message,
    fit,
    fit_lines,
    inert,
    match_embed,
    safe_url,
)
from bot.config import Settings
from bot.delivery.senders import Part, parts
from bot.domain import ChannelRef, Digest
from bot.errors import SendFailed

log = logging.getLogger(__name__)

T = TypeVar("T")
HISTORY = 100  # recent messages looked through for a mark; a post is confirmed within hours, not days
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
_MARK = re.compile(r"papers-bot ([\w-]{1,64}) · part (\d+)/(\d+)")


def nonce(mark: str, part: Part) -> str:
    """Discord refuses a second message with the same nonce (with enforce_nonce): 24 chars, under its 25."""
    return hashlib.blake2b(f"{mark}:{part.index}".encode(), digest_size=12).hexdigest()


def mark_footer(mark: str, part: Part) -> str:
    return f"papers-bot {mark} · part {part.index + 1}/{part.count}"


def read_mark(message: dict[str, Any]) -> tuple[str, int, int] | None:
    """(mark, part index, part count) from a message as the REST API returns it."""
    for embed in message.get("embeds") or ():
        found = _MARK.search((embed.get("footer") or {}).get("text", ""))
        if found:
            return found.group(1), int(found.group(2)) - 1, int(found.group(3))
    return None


def headline(digest: Digest) -> str:
    more = f"\n… and {digest.more} more: `/papers digest` shows them." if digest.more else ""
    return f"**{fit(digest.title, 300)}**{more}"


def digest_part(digest: Digest, mark: str, part: Part) -> Message:
    """One message of a post: the parent (headline and the titles) or the papers it holds, each with the mark."""
    footer = mark_footer(mark, part)
    if part.is_parent:
        lines = [f"{i}\\. [{fit(m.paper.title, 150)}]({url})" if (url := safe_url(m.paper.abs_url))
                 else f"{i}\\. {fit(m.paper.title, 150)}" for i, m in enumerate(digest.matches, 1)]
        embed = discord.Embed(description=fit_lines(lines, DESCRIPTION), colour=COLOUR)
        embed.set_footer(text=footer + " · the papers are in the thread")
        return Message(headline(digest), [embed], ephemeral=False)
    by_key = {m.paper.key: m for m in digest.matches}
    embeds = [match_embed(by_key[p.key], footer if i == 0 else "") for i, p in enumerate(part.papers)]
    return Message(headline(digest) if part.count == 1 else "", embeds, ephemeral=False)


class DiscordSender:
    """The Sender (and ResumingSender) for Discord; its methods block, so call them from worker threads."""

    def __init__(self, http: HTTPClient, loop: asyncio.AbstractEventLoop, token: str | None = None,
                 me: int | None = None, timeout: float = 120.0) -> None:
        self.http, self.loop, self.timeout = http, loop, timeout
        self._token = token  # set only when this sender logs in itself (standalone)
        self._me = me
        self._login: asyncio.Lock | None = None  # made on the loop, where it is used

    @classmethod
    def for_client(cls, client: discord.Client) -> DiscordSender:
        """Post through a running bot's own HTTP client and rate limiter."""
        return cls(client.http, client.loop)

    @classmethod
    def standalone(cls, token: str, timeout: float = 120.0) -> DiscordSender:
        """Its own HTTP client on its own event-loop thread (`papers-bot deliver`, or next to a bot process)."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="discord-sender", daemon=True).start()
        return cls(HTTPClient(loop), loop, token=token, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordSender:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        if settings.discord_api_url:
            Route.BASE = settings.discord_api_url.rstrip("/")
        return cls.standalone(settings.discord_token.get_secret_value())

    # --- the Sender protocol ---------------------------------------------------------------

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._run(self._post(channel, digest, mark, {}))

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        async def resume() -> list[str]:
            found, _ = await self._found(channel, mark)
            return await self._post(channel, digest, mark, found)

        return self._run(resume())

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        found, count = self._run(self._found(channel, mark))
        if not count or len(found) < count:
            return None
        return [found[i] for i in range(count)]

    def close(self) -> None:
        if self._token is not None:
            asyncio.run_coroutine_threadsafe(self.http.close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)

    # --- on the event loop ----------------------------------------------------------------

    async def _post(self, channel: ChannelRef, digest: Digest, mark: str, found: dict[int, str]) -> list[str]:
        ids: list[str] = []
        thread = None
        for part in parts(digest):
            if part.index in found:
                ids.append(found[part.index])
            else:
                message = digest_part(digest, mark, part)
                where = channel.channel if part.index == 0 else thread
                with handle_message_parameters(content=message.content or None, embeds=message.embeds,
                                               nonce=nonce(mark, part), allowed_mentions=NO_MENTIONS) as params:
                    data = await self.http.send_message(where, params=params)
                ids.append(str(data["id"]))
            if part.is_parent:
                thread = await self._thread(channel.channel, ids[0], digest.title)
        log.info("posted %d message(s) of %s to %s", len(ids) - len(found), mark, channel)
        return ids

    async def _thread(self, channel_id: str, message_id: str, title: str) -> str:
        """The thread under the parent; a thread started from a message has the message's id."""
        try:
            await self.http.start_thread_with_message(channel_id, message_id, name=fit(title or "papers", 100, inert),
                                                      auto_archive_duration=1440)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # a resumed post whose thread was made before the crash
                raise
        return message_id

    async def _found(self, channel: ChannelRef, mark: str) -> tuple[dict[int, str], int]:
        """Part index -> message id for this mark, in the channel and its thread; and the part count."""
        found: dict[int, str] = {}
        count = 0
        for message in await self.http.logs_from(channel.channel, HISTORY):
            seen = read_mark(message) if self._mine(message) else None
            if seen and seen[0] == mark:
                found[seen[1]], count = str(message["id"]), seen[2]
        if 0 in found and count > 1:
            try:
                replies = await self.http.logs_from(found[0], HISTORY)
            except discord.NotFound:  # the parent is there, its thread is not yet
                replies = []
            for message in replies:
                seen = read_mark(message) if self._mine(message) else None
                if seen and seen[0] == mark:
                    found[seen[1]] = str(message["id"])
        return found, count

    def _mine(self, message: dict[str, Any]) -> bool:
        return self._me is None or str(message.get("author", {}).get("id")) == str(self._me)

    async def _ready(self) -> None:
        """Log in (standalone) and learn the bot's own user id, once, before the first request."""
        self._login = self._login or asyncio.Lock()
        async with self._login:
            if self._me is None:
                me = self.http.static_login(self._token) if self._token else self.http.request(Route("GET", "/users/@me"))
                self._me = int((await me)["id"])

    # --- from worker threads --------------------------------------------------------------

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run on the sender's loop and translate Discord's answers into SendFailed for delivery."""
        async def ready_then() -> T:
            try:
                await self._ready()
            except BaseException:
                work.close()  # never started: close it rather than leave it un-awaited
                raise
            return await work

        future = asyncio.run_coroutine_threadsafe(ready_then(), self.loop)
        try:
            return future.result(self.timeout)
        except (discord.Forbidden, discord.NotFound) as exc:  # Missing Access, Unknown Channel: retrying won't help
            raise SendFailed(f"Discord answered {exc.status}: {exc.text or 'no access'}", permanent=True) from exc
        except discord.RateLimited as exc:  # only when a wait would exceed the client's max_ratelimit_timeout
            raise SendFailed("Discord rate limit", retry_after=exc.retry_after) from exc
        except discord.LoginFailure as exc:  # the token, not the channel: don't pause channels for it
            raise SendFailed("Discord refused the bot token") from exc
        except discord.HTTPException as exc:
            raise SendFailed(f"Discord answered {exc.status}: {exc.text[:200]}") from exc
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as exc:
            future.cancel()
            raise SendFailed(f"could not reach Discord: {type(exc).__name__}") from exc

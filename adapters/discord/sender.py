"""Posts digests to Discord through discord.py's public client API (REST only), and recognises its own posts by their mark."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord.forums import Forums
from adapters.discord.limits import as_plain, fit_message
from adapters.discord.marks import mark_footer, read_mark
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
from adapters.discord.views import feedback_view
from bot.config import Settings
from bot.delivery.senders import Part, parts
from bot.domain import ChannelRef, Digest
from bot.errors import SendFailed

log = logging.getLogger(__name__)

T = TypeVar("T")
HISTORY = 100  # recent messages looked through for a mark; a post is confirmed within hours, not days
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
INVALID_FORM = 50035  # "Invalid Form Body": the same payload is refused every time


def nonce(mark: str, part: Part) -> str:
    """Discord refuses a second message with the same nonce (with enforce_nonce): 24 chars, under its 25."""
    return hashlib.blake2b(f"{mark}:{part.index}".encode(), digest_size=12).hexdigest()


def headline(digest: Digest) -> str:
    more = f"\n… and {digest.more} more: `/papers digest` shows them." if digest.more else ""
    return f"**{fit(digest.title, 300)}**{more}"


def digest_part(digest: Digest, mark: str, part: Part) -> Message:
    """One message of a post: the parent (headline and the titles) or the papers it holds, each with the mark."""
    footer = mark_footer(mark, part)
    if part.is_parent:
        lines = [
            f"{i}\\. [{fit(m.paper.title, 150)}]({url})"
            if (url := safe_url(m.paper.abs_url))
            else f"{i}\\. {fit(m.paper.title, 150)}"
            for i, m in enumerate(digest.matches, 1)
        ]
        embed = discord.Embed(description=fit_lines(lines, DESCRIPTION), colour=COLOUR)
        embed.set_footer(text=footer + " · the papers are in the thread")
        return Message(headline(digest), [embed], ephemeral=False)
    by_key = {m.paper.key: m for m in digest.matches}
    embeds = [match_embed(by_key[p.key], footer if i == 0 else "") for i, p in enumerate(part.papers)]
    keys = tuple(p.key for p in part.papers)
    return Message(headline(digest) if part.count == 1 else "", embeds, ephemeral=False, feedback=keys)


class DiscordSender:
    """The Sender (and ResumingSender) for Discord; its methods block, so call them from worker threads."""

    def __init__(
        self, client: discord.Client, loop: asyncio.AbstractEventLoop, token: str | None = None, timeout: float = 120.0
    ) -> None:
        self.client, self.loop, self.timeout = client, loop, timeout
        self._token = token  # set only when this sender logs in itself (standalone)
        self._login: asyncio.Lock | None = None  # made on the loop, where it is used
        self._direct: dict[str, str] = {}  # user id -> the bot's direct message channel with them
        self.forums = Forums(client)  # a forum channel's feed: a post per paper (adapters/discord/forums.py)

    @classmethod
    def for_client(cls, client: discord.Client) -> DiscordSender:
        """Post through a running bot's own client and rate limiter."""
        return cls(client, client.loop)

    @classmethod
    def standalone(cls, token: str, timeout: float = 120.0) -> DiscordSender:
        """A client of its own that logs in over REST only (no gateway), on its own event-loop thread."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="discord-sender", daemon=True).start()

        async def make() -> discord.Client:  # made on its loop: the client's HTTP session belongs there
            return discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_MENTIONS)

        client = asyncio.run_coroutine_threadsafe(make(), loop).result(10)
        return cls(client, loop, token=token, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordSender:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
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

    def on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Any other request (a journal club's poll) on the sender's loop, logged in, failures as SendFailed."""
        return self._run(work)

    def close(self) -> None:
        if self._token is not None:
            asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)

    # --- on the event loop ----------------------------------------------------------------

    def _where(self, channel_id: str | int) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel_id))

    async def _conversation(self, channel: ChannelRef) -> str:
        """Where a feed's posts go: its channel (a weekly best-of post too), or the person's direct messages."""
        feed = channel.base
        if feed.user_id is None:
            return feed.channel
        if feed.user_id not in self._direct:
            dm = await self.client.create_dm(discord.Object(id=int(feed.user_id)))
            self._direct[feed.user_id] = str(dm.id)
        return self._direct[feed.user_id]

    async def _post(self, channel: ChannelRef, digest: Digest, mark: str, found: dict[int, str]) -> list[str]:
        if forum := await self.forums.of(channel):
            return await self.forums.post(forum, digest, mark, found)
        ids: list[str] = []
        thread: str | None = None
        home = await self._conversation(channel)
        for part in parts(digest):
            if part.index in found:
                ids.append(found[part.index])
            else:
                where = self._where(home if part.index == 0 else thread or home)
                ids.append(str((await self._send(where, digest_part(digest, mark, part), nonce(mark, part))).id))
            if part.is_parent and not channel.is_personal:  # a direct message has no threads: the parts follow
                thread = await self._thread(home, ids[0], digest.title)
        log.info("posted %d message(s) of %s to %s", len(ids) - len(found), mark, channel)
        return ids

    async def _send(self, where: discord.PartialMessageable, message: Message, once: str) -> discord.Message:
        """One message, fitted to Discord's limits; refused anyway (50035), its words alone as plain text."""
        view = feedback_view(message.feedback)
        message = fit_message(message, view)
        buttons: dict[str, Any] = {"view": view} if view else {}
        try:
            return await where.send(**message.kwargs(), **buttons, nonce=once)
        except discord.HTTPException as exc:
            if exc.status != 400 or exc.code != INVALID_FORM or not message.embeds:
                raise
            log.warning("Discord refused the embeds of a post to %s (%s); posting it as text", where.id, exc.text[:200])
        return await where.send(**fit_message(as_plain(message)).kwargs(), nonce=once)

    async def _thread(self, channel_id: str, message_id: str, title: str) -> str:
        """The thread under the parent; a thread started from a message has the message's id."""
        # A thread needs the channel's guild: the cached channel of a connected bot, else one GET.
        parent = self.client.get_channel(int(channel_id)) or await self.client.fetch_channel(int(channel_id))
        try:
            await parent.get_partial_message(int(message_id)).create_thread(  # type: ignore[union-attr]
                name=fit(title or "papers", 100, inert), auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # a resumed post whose thread was made before the crash
                raise
        return message_id

    async def _found(self, channel: ChannelRef, mark: str) -> tuple[dict[int, str], int]:
        """Part index -> message id for this mark, in the channel and its thread; and the part count."""
        if forum := await self.forums.of(channel):
            return await self.forums.found(forum, mark)
        found: dict[int, str] = {}
        count = 0
        async for message in self._where(await self._conversation(channel)).history(limit=HISTORY):
            seen = read_mark(message) if self._mine(message) else None
            if seen and seen[0] == mark:
                found[seen[1]], count = str(message.id), seen[2]
        if 0 in found and count > 1 and not channel.is_personal:
            try:
                async for message in self._where(found[0]).history(limit=HISTORY):
                    seen = read_mark(message) if self._mine(message) else None
                    if seen and seen[0] == mark:
                        found[seen[1]] = str(message.id)
            except discord.NotFound:  # the parent is there, its thread is not yet
                pass
        return found, count

    def _mine(self, message: discord.Message) -> bool:
        return self.client.user is None or message.author.id == self.client.user.id

    async def _ready(self) -> None:
        """Log in once (standalone) before the first request; a running bot is logged in already."""
        self._login = self._login or asyncio.Lock()
        async with self._login:
            if self.client.user is None and self._token:
                await self.client.login(self._token)

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
            if 400 <= exc.status < 500 and exc.status != 429:  # the same request would be refused again
                raise SendFailed(
                    f"Discord refused the post: {exc.status} {exc.code} {exc.text[:200]}", permanent=True
                ) from exc
            raise SendFailed(f"Discord answered {exc.status}: {exc.text[:200]}") from exc
        except (TimeoutError, aiohttp.ClientError, OSError, concurrent.futures.TimeoutError) as exc:
            future.cancel()
            raise SendFailed(f"could not reach Discord: {type(exc).__name__}") from exc

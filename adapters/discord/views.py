"""Paging buttons that survive a restart: each custom_id carries what its page needs; plus the shared answer path."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import Any

import discord

from adapters.discord import install
from adapters.discord.forum_channels import with_forum_note
from adapters.discord.limits import fit_message
from adapters.discord.render import NO_MENTIONS, Message
from adapters.discord.replies import FIND_PREFIX, render
from bot.app import App
from bot.chat import commands as c
from bot.domain import Actor, ChannelRef

log = logging.getLogger(__name__)

QUICK = 2.0  # seconds: a core this fast answers at once; slower ones are deferred (Discord allows 3 s)


def app_of(interaction: discord.Interaction) -> App:
    return interaction.client.papers_app  # type: ignore[attr-defined]  # set by app.build_client


def channel_of(interaction: discord.Interaction) -> ChannelRef:
    """The channel where the bot is a member; elsewhere (the user-installed app) the person's own feed."""
    return install.channel_of(interaction)


def actor_of(interaction: discord.Interaction) -> Actor:
    """The person, with one own feed across Discord (a user id is the same in every server)."""
    user = interaction.user
    return Actor(
        str(user.id), user.display_name, is_admin=interaction.permissions.manage_channels, feeds_in=install.PEOPLE
    )


async def ask(
    interaction: discord.Interaction,
    command: c.Command,
    public: bool = False,
    page: int = 0,
    update: bool = False,
    clicked: bool = False,
) -> Message:
    """Run a command in the synchronous core; defer when it is slow, so that it never times out.

    `public` is how the command usually answers (a "thinking…" shows to everyone or not); `update`
    is for buttons, whose deferral edits the message they sit on; `clicked` counts a click by the command rate.
    """
    app = app_of(interaction)
    run = app.service.click if clicked else app.service.run
    work = asyncio.ensure_future(asyncio.to_thread(run, channel_of(interaction), actor_of(interaction), command))
    done, _ = await asyncio.wait({work}, timeout=QUICK)
    if not done:
        log.info("/papers %s is slow; deferring", command.name)
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(thinking=True, ephemeral=not public)
            interaction.extras["thinking_in_public"] = public
    reply = await work
    return with_forum_note(interaction, reply, render(reply, page))


async def respond(interaction: discord.Interaction, message: Message, view: discord.ui.View | None = None) -> None:
    """Send a rendered reply as the interaction's answer, whether it was deferred or not, within Discord's limits."""
    message = fit_message(message, view)
    kwargs: dict[str, Any] = message.kwargs() | ({"view": view} if view else {})
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs, ephemeral=message.ephemeral)
        return
    if message.ephemeral and interaction.extras.get("thinking_in_public"):
        # The first follow-up replaces the public "thinking…" and would be public too:
        # remove it, so that the follow-up is a new, private message.
        await interaction.delete_original_response()
    await interaction.followup.send(**kwargs, ephemeral=message.ephemeral)


def query_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


def pager(kind: str, key: str, page: int, pages: int) -> discord.ui.View | None:
    """◀ ▶ buttons; custom_ids differ in their page number, so both fit in one message."""
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    item = FindPage if kind == "find" else DigestPage
    view.add_item(item(key, max(page - 1, 0), "◀ Previous", disabled=page == 0))
    view.add_item(item(key, min(page + 1, pages - 1), "Next ▶", disabled=page >= pages - 1))
    return view


class _Page(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    kind = ""

    def __init__(self, key: str, page: int, label: str = "…", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"papers:{self.kind}:{key}:{page}",
            )
        )
        self.key, self.page = key, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> _Page:
        return cls(match["key"], int(match["page"]))

    async def turn(self, interaction: discord.Interaction, command: c.Command | None, key: str) -> None:
        if command is None or key != self.key:
            await interaction.response.send_message(
                "That list is out of date; run the command again.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        message = await ask(interaction, command, page=self.page, update=True)
        view = pager(self.kind, self.key, message.page, message.pages)
        message = fit_message(message, view)
        if interaction.response.is_done():
            await interaction.edit_original_response(**message.kwargs(), view=view)
        else:
            await interaction.response.edit_message(**message.kwargs(), view=view)


class FindPage(_Page, template=r"papers:find:(?P<key>[0-9a-f]{10}):(?P<page>\d{1,2})"):
    """`papers:find:<hash of the query>:<page>`; the query itself is in the first embed's author line."""

    kind = "find"

    async def callback(self, interaction: discord.Interaction) -> None:
        embeds = interaction.message.embeds if interaction.message else []
        # inert() put zero-width spaces after @ and <; plain() had removed any the user typed
        author = (embeds[0].author.name or "").replace("\u200b", "") if embeds else ""
        text = author[len(FIND_PREFIX) :] if author.startswith(FIND_PREFIX) else ""
        await self.turn(interaction, c.Find(text) if text else None, query_hash(text))


class DigestPage(_Page, template=r"papers:digest:(?P<key>u?\d{1,20}):(?P<page>\d{1,2})"):
    """`papers:digest:<channel id>:<page>` (`u<user id>` for a person's own feed): the preview of that feed's
    next digest, page by page."""

    kind = "digest"

    async def callback(self, interaction: discord.Interaction) -> None:
        mine = self.key.startswith("u")
        await self.turn(interaction, c.PreviewDigest(mine), digest_key(interaction, mine))


def digest_key(interaction: discord.Interaction, mine: bool) -> str:
    return f"u{interaction.user.id}" if mine else str(interaction.channel_id)


FEEDBACK_BUTTONS = (("like", "👍 More like this"), ("dislike", "👎 Less like this"), ("save", "🔖 Save"))


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"papers:fb:(?P<kind>like|dislike|save):(?P<key>[^:\s]{1,80})",
):
    """`papers:fb:<kind>:<paper key>` under each paper of a post: the same as `/papers <kind> <key>` by the clicker."""

    def __init__(self, kind: str, key: str) -> None:
        label = dict(FEEDBACK_BUTTONS)[kind]
        style = discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"papers:fb:{kind}:{key}"))
        self.kind, self.key = kind, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        return cls(match["kind"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await respond(interaction, await ask(interaction, c.Feedback(self.kind, self.key), clicked=True))


def feedback_view(keys: tuple[str, ...]) -> discord.ui.View | None:
    """One row of buttons per paper (a post's message holds at most four, Discord allows five rows);
    a paper whose key does not fit a custom_id (a title key) gets none."""
    view = discord.ui.View(timeout=None)
    for row, key in enumerate(k for k in keys[:5] if re.fullmatch(r"[^:\s]{1,80}", k)):
        for kind, _ in FEEDBACK_BUTTONS:
            item = FeedbackButton(kind, key)
            item.item.row = row
            view.add_item(item)
    return view if view.children else None


class KindsSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"papers:kinds:(?P<offer>[0-9a-f]{1,16})"):
    """`papers:kinds:<offer>` under the warm-up's kinds: the ones picked, as `/papers warmup pick …` by the picker."""

    def __init__(self, offer: str, labels: tuple[str, ...] = ()) -> None:
        options = [discord.SelectOption(label=label[:100], value=str(n)) for n, label in enumerate(labels[:25], 1)]
        picker = discord.ui.Select[Any](
            custom_id=f"papers:kinds:{offer}",
            placeholder="Pick the kinds this channel wants",
            min_values=0,  # none of them is an answer too
            max_values=max(len(options), 1),
            options=options or [discord.SelectOption(label="none", value="0")],
        )
        super().__init__(picker)
        self.offer = offer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> KindsSelect:
        return cls(match["offer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        picked = tuple(int(v) for v in data.get("values") or [] if str(v).isdigit())
        await respond(interaction, await ask(interaction, c.WarmUp(True, picked, self.offer), clicked=True))


def kinds_view(labels: tuple[str, ...], offer: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(KindsSelect(offer, labels))
    return view


PAGE_ITEMS = (FindPage, DigestPage, FeedbackButton, KindsSelect)

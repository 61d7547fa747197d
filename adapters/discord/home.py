"""`/papers home` on Discord: one message to the person alone showing what this server's channels follow, their
own feed and saved papers; a menu to unsubscribe (25 options a page, Discord's limit), buttons to page and to
subscribe (a form whose answer is subscribe's, dry run and all). The overview is the core's (bot/chat/home.py),
as Slack's App Home; the custom_ids say what each control does, so they work after a restart."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import app_commands

from adapters.discord.install import PEOPLE, bot_is_here
from adapters.discord.limits import fit_message
from adapters.discord.render import COLOUR, DESCRIPTION, NO_MENTIONS, Message, code, fit, fit_lines, safe_url
from adapters.discord.replies import render
from adapters.discord.views import actor_of, app_of, ask, respond
from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.home import ChannelFollows, Home, build_home, chosen_query, query_check
from bot.domain import ChannelRef

log = logging.getLogger(__name__)

OPTIONS = 25  # a select menu's options
MOST_CHANNELS = 500  # a server's channels one Home lists and pages through
ME = "me"  # a menu value's feed: the person's own, else a channel id
NEEDS_MANAGE_CHANNELS = "You need the Manage Channels permission to change that channel's papers."
OUT_OF_DATE = "That menu was out of date (the subscriptions changed meanwhile); here is the Home as it is now."


@dataclass(frozen=True)
class Option:
    """One subscription in the unsubscribe menu: its feed (ME or a channel id), number in /papers list, query."""

    feed: str
    number: int
    query: str

    @property
    def value(self) -> str:
        return f"{self.feed} {self.number} {query_check(self.query)}"


def options_of(home: Home) -> list[Option]:
    """The person's own subscriptions first, then (for whoever may change them) the channels'."""
    found = [Option(ME, i, q) for i, q in enumerate(home.own.queries, 1)] if home.own else []
    if home.may_change:
        found += [Option(f.channel.channel, i, q) for f in home.channels for i, q in enumerate(f.queries, 1)]
    return found


def pages_of(options: list[Option]) -> int:
    return max(1, -(-len(options) // OPTIONS))


def _follows(follows: ChannelFollows) -> str:
    paused = f" (paused: {fit(follows.paused, 200)})" if follows.paused else ""
    queries = ", ".join(code(q[:200]) for q in follows.queries)
    return f"<#{follows.channel.channel}> follows {queries}; posts {fit(follows.schedule.describe(), 200)}{paused}"


def overview(home: Home, here: bool, in_server: bool) -> discord.Embed:
    """What the person's own feed and this server's channels follow, as one embed."""
    if home.own:
        own = ", ".join(code(q[:200]) for q in home.own.queries)
        lines = [f"**Your own feed** (by direct message, {fit(home.own.schedule.describe(), 200)}): {own}"]
    else:
        lines = ["**Your own feed** follows nothing yet: **Subscribe for me…** below starts it."]
    if here:
        lines.append("**This server's channels**")
        lines += [_follows(f) for f in home.channels] or ["No channel here follows anything yet."]
        if home.more_channels:
            lines.append(f"… and {home.more_channels} more: `/papers list` in each shows what it follows.")
        if not home.may_change:
            lines.append("Changing a channel's papers needs the Manage Channels permission.")
    elif in_server:
        lines.append("papers-bot is not in this server: here it serves your own feed alone.")
    return discord.Embed(title="Your papers-bot home", description=fit_lines(lines, DESCRIPTION), colour=COLOUR)


def saved_embed(home: Home) -> list[discord.Embed]:
    lines = []
    for i, paper in enumerate(home.saved, 1):
        title = fit(" ".join(paper.title.split()), 200)
        lines.append(f"{i}\\. [{title}]({url})" if (url := safe_url(paper.abs_url)) else f"{i}\\. {title}")
    if not lines:
        return []
    return [discord.Embed(title="Your saved papers", description=fit_lines(lines, DESCRIPTION), colour=COLOUR)]


def home_view(home: Home, page: int, here: bool, names: dict[str, str]) -> discord.ui.View:
    """Row 1 the unsubscribe menu (this page's options); row 2 subscribe buttons and ◀ ▶ when there are pages."""
    options, view = options_of(home), discord.ui.View(timeout=None)
    pages = pages_of(options)
    page = min(max(page, 0), pages - 1)
    shown = options[page * OPTIONS : (page + 1) * OPTIONS]
    if shown:
        view.add_item(UnsubscribeMenu(page, [(o, _label(o, names)) for o in shown]))
    if here and home.may_change:
        view.add_item(SubscribeButton("here"))
    view.add_item(SubscribeButton(ME))
    if pages > 1:
        view.add_item(HomePage(page - 1, "◀ Previous", disabled=page == 0))
        view.add_item(HomePage(page + 1, "Next ▶", disabled=page >= pages - 1))
    return view


def _label(option: Option, names: dict[str, str]) -> str:
    where = "Your feed" if option.feed == ME else f"#{names.get(option.feed, option.feed)}"
    return f"{where}: {' '.join(option.query.split())}"[:100]


def _names(interaction: discord.Interaction) -> dict[str, str]:
    """Channel names for the menu's labels, where the connected bot has the server cached (else their ids)."""
    guild = interaction.guild
    return {str(ch.id): ch.name for ch in guild.channels} if guild is not None else {}


async def draw(interaction: discord.Interaction, page: int = 0) -> tuple[Message, discord.ui.View]:
    """The person's Home, as the core builds it for where they are."""
    app, here = app_of(interaction), bot_is_here(interaction)
    actor = actor_of(interaction)
    may = here and interaction.permissions.manage_channels
    workspace = str(interaction.guild_id) if here else None
    home = await asyncio.to_thread(
        build_home, app.engine, "discord", workspace, actor, may, app.default_schedule, MOST_CHANNELS
    )
    pages = pages_of(options_of(home))
    embed = overview(home, here, interaction.guild_id is not None)
    if pages > 1:
        embed.set_footer(text=f"Unsubscribe menu: page {min(max(page, 0), pages - 1) + 1} of {pages}")
    view = home_view(home, page, here, _names(interaction))
    return fit_message(Message(embeds=[embed, *saved_embed(home)]), view), view


async def show_home(interaction: discord.Interaction) -> None:
    """`/papers home`: answered to the person alone."""
    message, view = await draw(interaction)
    await respond(interaction, message, view)


def with_home(papers: app_commands.Group) -> app_commands.Group:
    """The /papers group with `home` (its own module: the group's is full)."""
    papers.add_command(
        app_commands.Command(
            name="home",
            description="What this server's channels follow, your own feed and your saved papers",
            callback=show_home,
        )
    )
    return papers


async def redraw(interaction: discord.Interaction, page: int, reply: r.Reply | None = None) -> None:
    """The Home again in place (a click was deferred), then the change's own answer to the person alone."""
    message, view = await draw(interaction, page)
    await interaction.edit_original_response(**message.kwargs(), view=view)
    if reply is not None:
        await interaction.followup.send(**render(replace(reply, ephemeral=True)).kwargs(), ephemeral=True)


def may_change_channel(interaction: discord.Interaction, channel_id: str) -> bool:
    """The commands' rule, Manage Channels, checked in that channel when the bot has it cached (else where
    /papers home was opened, as a command typed here would be)."""
    if not bot_is_here(interaction):
        return False
    channel = interaction.guild.get_channel(int(channel_id)) if interaction.guild else None
    if channel is not None and isinstance(interaction.user, discord.Member):
        return channel.permissions_for(interaction.user).manage_channels
    return interaction.permissions.manage_channels


async def announce(interaction: discord.Interaction, channel_id: str, reply: r.Reply) -> None:
    """A channel's change made from Home is announced in that channel, as the same command typed there would be."""
    try:
        where = interaction.client.get_partial_messageable(int(channel_id))
        await where.send(**render(replace(reply, ephemeral=False)).kwargs())
    except discord.HTTPException as error:
        log.warning("announcing a change from Home in %s failed: %s", channel_id, error)


class UnsubscribeMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"papers:home:unsub:(?P<page>\d{1,3})"):
    """`papers:home:unsub:<page>`; each option's value says the feed, the query's number and its check."""

    def __init__(self, page: int, options: list[tuple[Option, str]] | None = None) -> None:
        choices = [discord.SelectOption(label=label, value=o.value) for o, label in options or []]
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"papers:home:unsub:{page}", placeholder="Unsubscribe…", options=choices or [], row=0
        )
        super().__init__(select)
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> UnsubscribeMenu:
        return cls(int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or [""]
        feed, number, check = [*str(values[0]).split(" "), "", "", ""][:3]
        if feed != ME and not may_change_channel(interaction, feed):
            await interaction.response.send_message(NEEDS_MANAGE_CHANNELS, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer()
        app, actor = app_of(interaction), replace(actor_of(interaction), is_admin=True)  # checked just above
        ref = ChannelRef.person("discord", PEOPLE, actor.id) if feed == ME else channel_ref(interaction, feed)
        query = await asyncio.to_thread(chosen_query, app.service, ref, actor, number, check)
        if query is None:
            await redraw(interaction, self.page, r.Problem(OUT_OF_DATE))
            return
        reply = await asyncio.to_thread(app.service.click, ref, actor, c.Unsubscribe(query))
        await redraw(interaction, self.page, reply)
        if feed != ME and isinstance(reply, r.Unsubscribed):
            await announce(interaction, feed, reply)


def channel_ref(interaction: discord.Interaction, channel_id: str) -> ChannelRef:
    return ChannelRef("discord", str(interaction.guild_id), channel_id)


class HomePage(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"papers:home:page:(?P<page>-?\d{1,3})"):
    """`papers:home:page:<page>`: the Home again with another page of the menu."""

    def __init__(self, page: int, label: str = "…", disabled: bool = False) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, custom_id=f"papers:home:page:{page}", disabled=disabled, row=1
        )
        super().__init__(button)
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HomePage:
        return cls(int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await redraw(interaction, self.page)


class SubscribeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"papers:home:sub:(?P<feed>here|me)"):
    """`papers:home:sub:here|me`: the subscribe form for this channel or for the person's own feed."""

    def __init__(self, feed: str) -> None:
        label = "Subscribe this channel…" if feed == "here" else "Subscribe for me…"
        style = discord.ButtonStyle.primary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"papers:home:sub:{feed}", row=1))
        self.feed = feed

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SubscribeButton:
        return cls(match["feed"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(SubscribeForm(self.feed == ME))


class SubscribeForm(discord.ui.Modal):
    """The query, answered as `/papers subscribe` answers: what it understood and its dry run over the last days."""

    query: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Query",
        placeholder='reinforcement-learning, "world model" -survey, cat:cs.RO, author:"Name"',
        max_length=400,
    )

    def __init__(self, mine: bool) -> None:
        title = "Subscribe your own feed" if mine else "Subscribe this channel"
        super().__init__(title=title, custom_id=f"papers:home:form:{ME if mine else 'here'}", timeout=900)
        self.mine = mine

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text, typed = c.personal(self.query.value.strip())
        mine = self.mine or typed
        if not mine and not may_change_channel(interaction, str(interaction.channel_id)):
            await interaction.response.send_message(NEEDS_MANAGE_CHANNELS, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await respond(interaction, await ask(interaction, c.Subscribe(text, mine), public=not mine))


HOME_ITEMS = (UnsubscribeMenu, HomePage, SubscribeButton)

"""The Discord bot: the /papers app-command group with autocomplete, and starting a (sharded) client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from collections.abc import Callable
from typing import Literal

import discord
from discord import app_commands
from discord.app_commands import Choice, Range

from adapters.discord.club import with_club
from adapters.discord.feed import feed_command
from adapters.discord.home import HOME_ITEMS, with_home
from adapters.discord.install import NeedsTheBot, may_change_feed
from adapters.discord.lookup import attached_import, look_up_menu
from adapters.discord.reactions import register_reactions
from adapters.discord.render import NO_MENTIONS, Message, fit, inert
from adapters.discord.replies import render
from adapters.discord.sync import hash_file, sync_commands
from adapters.discord.tree import PapersTree, scope
from adapters.discord.views import (
    PAGE_ITEMS,
    actor_of,
    ask,
    channel_of,
    digest_key,
    feedback_view,
    kinds_view,
    pager,
    query_hash,
    respond,
)
from adapters.health import BEAT_SECONDS, Heartbeat, heartbeat
from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.delivery.schedule import zone_names
from bot.errors import PapersError

log = logging.getLogger(__name__)

SUGGEST_BUDGET = 0.8  # seconds for an autocomplete answer (Discord allows 3; typing goes on meanwhile)
CHOICES = 25
TIME_ZONES = sorted(zone_names())
STOP_GRACE_SECONDS = 20.0  # on SIGTERM, how long the commands in hand may take to finish (a search takes seconds)
NEEDS_MANAGE_CHANNELS = "You need the Manage Channels permission to change this channel's papers."

FOR_ME = "yours alone, by direct message, instead of this channel's"


may_change = app_commands.check(may_change_feed)


def choice(name: str, value: str) -> Choice[str]:
    return Choice(name=fit(name, 100, inert), value=value[:100])


async def within_budget(work: Callable[[], list[Choice[str]]]) -> list[Choice[str]]:
    """Autocomplete must be quick: a suggestion that comes late is no suggestion."""
    try:
        return (await asyncio.wait_for(asyncio.to_thread(work), SUGGEST_BUDGET))[:CHOICES]
    except TimeoutError:
        log.info("autocomplete ran over its %.1f s budget", SUGGEST_BUDGET)
    except Exception:  # a suggestion is a nicety: never let it show an error
        log.exception("autocomplete failed")
    return []


def topic_choices(app: App, current: str) -> list[Choice[str]]:
    """Complete the last word of a query with topic slugs: prefix matches first, then likely typos."""
    head, _, last = current.rpartition(" ")
    slugs = [t.slug for t in app.taxonomy.browse(last)][:CHOICES]
    if last and len(slugs) < CHOICES:
        slugs += [s for s in app.taxonomy.suggest(last, limit=CHOICES) if s not in slugs]
    found = []
    for slug in slugs[:CHOICES]:
        value = f"{head} {slug}".strip()
        topic = app.taxonomy.get(slug)
        if len(value) <= 100:
            found.append(choice(f"{value} — {topic.name}" if topic else value, value))
    return found


class Papers(app_commands.Group):
    """`/papers …`: every word of the chat grammar as a subcommand with typed options."""

    def __init__(self, app: App, guild_id: int | None = None) -> None:
        super().__init__(name="papers", description="Research papers for this channel", **scope(guild_id))
        self.app = app
        self.add_command(feed_command(self.run))

    async def run(self, interaction: discord.Interaction, command: c.Command, public: bool = False) -> None:
        message = await ask(interaction, command, public)
        view = None
        if isinstance(command, c.Find):
            view = pager("find", query_hash(command.text), message.page, message.pages)
        elif isinstance(command, c.PreviewDigest):
            view = pager("digest", digest_key(interaction, command.personal), message.page, message.pages)
        elif message.feedback:
            view = feedback_view(message.feedback)  # a paper's More / Less / Save
        elif message.kinds:
            view = kinds_view(message.kinds, message.offer)  # the warm-up's kinds to pick from
        await respond(interaction, message, view)

    @app_commands.command(description='Follow a topic slug, "a phrase", cat:cs.LG or author:"Name"; -word excludes')
    @app_commands.describe(query="for example reinforcement-learning min-upvotes=5", for_me=FOR_ME)
    @may_change
    async def subscribe(
        self, interaction: discord.Interaction, query: Range[str, 1, 500], for_me: bool = False
    ) -> None:
        query, typed = c.personal(query)
        await self.run(interaction, c.Subscribe(query, for_me or typed), public=not (for_me or typed))

    @subscribe.autocomplete("query")
    async def _subscribe_query(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await within_budget(lambda: topic_choices(self.app, current))

    @app_commands.command(description="Stop following a subscription")
    @app_commands.describe(target="the query as listed, its number from /papers list, or all", for_me=FOR_ME)
    @may_change
    async def unsubscribe(
        self, interaction: discord.Interaction, target: Range[str, 1, 500], for_me: bool = False
    ) -> None:
        target, typed = c.personal(target)
        await self.run(interaction, c.Unsubscribe(target, for_me or typed), public=not (for_me or typed))

    @unsubscribe.autocomplete("target")
    async def _unsubscribe_target(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        def following() -> list[Choice[str]]:
            mine = bool(getattr(interaction.namespace, "for_me", False))
            reply = self.app.service.run(channel_of(interaction), actor_of(interaction), c.ListSubscriptions(mine))
            queries = [q for q, _ in reply.subscriptions] if isinstance(reply, r.SubscriptionList) else []
            return [choice(q, q) for q in [*queries, "all"] if current.lower() in q.lower() and len(q) <= 100]

        return await within_budget(following)

    @app_commands.command(name="list", description="This channel's subscriptions and schedule, or your own")
    @app_commands.describe(for_me=FOR_ME)
    async def list_(self, interaction: discord.Interaction, for_me: bool = False) -> None:
        await self.run(interaction, c.ListSubscriptions(for_me))

    @app_commands.command(description="Look a paper up by a half-remembered title, an arXiv id or URL, or its topic")
    @app_commands.describe(text="a few words of the title, an arXiv id or an arXiv URL")
    async def find(self, interaction: discord.Interaction, text: Range[str, 1, 200]) -> None:
        await self.run(interaction, c.Find(text))

    @find.autocomplete("text")
    async def _find_text(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await self._titles(current)

    async def _titles(self, current: str) -> list[Choice[str]]:
        if len(current.strip()) < 3:
            return []

        def titles() -> list[Choice[str]]:
            found = self.app.finder.suggest(current, limit=CHOICES)
            # The value is what /papers find runs: an arXiv id finds exactly that paper.
            return [choice(f.paper.title, f.paper.arxiv_id or f.paper.title) for f in found]

        return await within_budget(titles)

    @app_commands.command(description="Preview what this channel's next post would hold")
    @app_commands.describe(for_me=FOR_ME)
    async def digest(self, interaction: discord.Interaction, for_me: bool = False) -> None:
        await self.run(interaction, c.PreviewDigest(for_me))

    @app_commands.command(description="When this channel gets its post")
    @app_commands.describe(
        time="HH:MM, for example 09:00 (left out: the time stays as it is)",
        tz="a time zone such as Europe/Berlin",
        cadence="daily, weekdays, weekly, or off (no regular post)",
        day="the day, when weekly",
        best="the week's most upvoted papers once a week (on `day`, Monday if none): alongside, instead, or off",
        for_me=FOR_ME,
    )
    @may_change
    async def schedule(
        self,
        interaction: discord.Interaction,
        time: Range[str, 1, 5] | None = None,
        tz: Range[str, 1, 64] | None = None,
        cadence: Literal["daily", "weekdays", "weekly", "off"] | None = None,
        day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = None,
        best: Literal["alongside", "instead", "off"] | None = None,
        summary: Literal["summary on", "summary off"] | None = None,  # a forum's day's list as a post of its own
        for_me: bool = False,
    ) -> None:
        words: tuple[str | None, ...] = (time, tz, cadence, day)
        if best is not None:  # the same words as typed: `weekly mon 09:00 top [only]`, `top off`
            words = ("top", "off") if best == "off" else (time, tz, day, "top", "only" if best == "instead" else None)
        command = c.SetSchedule(" ".join(x for x in (*words, summary) if x), for_me)
        await self.run(interaction, command, public=not for_me)

    @schedule.autocomplete("tz")
    async def _schedule_tz(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        needle = current.lower().replace(" ", "_")
        return [choice(z, z) for z in TIME_ZONES if needle in z.lower()][:CHOICES]

    @app_commands.command(description="Browse the topics you can subscribe to")
    @app_commands.describe(prefix="the start of a topic slug or a word of its name")
    async def topics(self, interaction: discord.Interaction, prefix: Range[str, 0, 100] = "") -> None:
        await self.run(interaction, c.BrowseTopics(prefix))

    @topics.autocomplete("prefix")
    async def _topics_prefix(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await within_budget(lambda: topic_choices(self.app, current.strip().split(" ")[-1]))

    @app_commands.command(description="Sources, schedule, last and next post, recent changes")
    @app_commands.describe(for_me=FOR_ME)
    async def status(self, interaction: discord.Interaction, for_me: bool = False) -> None:
        await self.run(interaction, c.Status(for_me))

    @app_commands.command(description="This channel's subscriptions and schedule as a JSON Lines file")
    async def export(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, c.Export())

    @app_commands.command(name="import", description="Follow what a file from /papers export holds, in this channel")
    @app_commands.describe(file="the .jsonl file /papers export gave")
    @may_change
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        try:
            command = await attached_import(file)
        except PapersError as error:
            await respond(interaction, render(r.Problem(error.message, c.usage_line("import"))))
            return
        await self.run(interaction, command, public=True)

    async def _feedback(self, interaction: discord.Interaction, kind: str, paper: str) -> None:
        await self.run(interaction, c.Feedback(kind, paper))

    @app_commands.command(description="More papers like this one in this channel's posts")
    @app_commands.describe(paper="its arXiv id or link; type a few words of its title to pick it")
    async def like(self, interaction: discord.Interaction, paper: Range[str, 1, 200]) -> None:
        await self._feedback(interaction, "like", paper)

    @app_commands.command(description="Fewer papers like this one in this channel's posts")
    @app_commands.describe(paper="its arXiv id or link; type a few words of its title to pick it")
    async def dislike(self, interaction: discord.Interaction, paper: Range[str, 1, 200]) -> None:
        await self._feedback(interaction, "dislike", paper)

    @app_commands.command(description="Keep a paper on this channel's saved list")
    @app_commands.describe(paper="its arXiv id or link; type a few words of its title to pick it")
    async def save(self, interaction: discord.Interaction, paper: Range[str, 1, 200]) -> None:
        await self._feedback(interaction, "save", paper)

    @app_commands.command(description="Undo your like, dislike or save of a paper")
    @app_commands.describe(paper="its arXiv id or link")
    async def forget(self, interaction: discord.Interaction, paper: Range[str, 1, 200]) -> None:
        await self._feedback(interaction, "forget", paper)

    @app_commands.command(description="Every reason a paper matches this channel's subscriptions")
    @app_commands.describe(paper="its arXiv id or link; type a few words of its title to pick it")
    async def why(self, interaction: discord.Interaction, paper: Range[str, 1, 200]) -> None:
        await self.run(interaction, c.Explain(paper))

    @like.autocomplete("paper")
    @why.autocomplete("paper")
    @dislike.autocomplete("paper")
    @save.autocomplete("paper")
    @forget.autocomplete("paper")
    async def _paper(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return await self._titles(current)  # a chosen title runs as its arXiv id

    @app_commands.command(description="This channel's saved papers")
    async def saved(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, c.ListSaved())

    @app_commands.command(description="What this channel's likes and dislikes taught its posts; reset forgets them")
    @app_commands.describe(reset="forget them: reset asks first, reset confirm does it (saved papers stay)")
    @app_commands.choices(reset=[Choice(name="reset", value="reset"), Choice(name="reset confirm", value="confirm")])
    async def taste(self, interaction: discord.Interaction, reset: Choice[str] | None = None) -> None:
        command = c.ShowTaste() if reset is None else c.ResetTaste(confirm=reset.value == "confirm")
        await self.run(interaction, command)

    @app_commands.command(description="Five papers to like or dislike, chosen to teach this channel's posts the most")
    async def warmup(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, c.WarmUp())

    @app_commands.command(description="How much Hugging Face upvotes weigh in this channel's post")
    @app_commands.describe(upvotes="off, low, normal or high; leave it out to see the current one")
    @app_commands.choices(upvotes=[Choice(name=level, value=level) for level in c.UPVOTES_LEVELS])
    async def ranking(self, interaction: discord.Interaction, upvotes: Choice[str] | None = None) -> None:
        await self.run(interaction, c.SetRanking(upvotes.value) if upvotes else c.ShowRanking())

    @app_commands.command(description="What papers-bot can do")
    @app_commands.choices(command=[Choice(name=name, value=name) for name in c.USAGE])
    async def help(self, interaction: discord.Interaction, command: Choice[str] | None = None) -> None:
        await self.run(interaction, c.Help(command.value if command else ""))


async def on_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Permission refusals get one sentence; anything else is logged with a reference the user sees."""
    if isinstance(error, app_commands.MissingPermissions):
        text = NEEDS_MANAGE_CHANNELS
    elif isinstance(error, NeedsTheBot):
        text = error.text
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = "papers-bot works in server channels, not in direct messages."
    else:
        ref = uuid.uuid4().hex[:8]
        log.error("discord command failed (ref %s)", ref, exc_info=error)
        text = f"Something went wrong on my side; it is logged as ref {ref}."
    try:
        await respond(interaction, Message(text))
    except discord.HTTPException:  # the interaction expired or was answered already: the log has it
        log.warning("could not tell the user about a failed command", exc_info=True)


def build_client(app: App, sharded: bool = False, guild_id: int | None = None) -> discord.Client:
    """The client with the command tree and the paging buttons; no privileged intents.

    The commands are global, or with `guild_id` (DISCORD_GUILD_ID, development) that guild's alone.
    """
    kind = discord.AutoShardedClient if sharded else discord.Client
    # Reactions (in servers and direct messages) are not a privileged intent; the bot never needs message content.
    client = kind(intents=discord.Intents(guilds=True, reactions=True), allowed_mentions=NO_MENTIONS)
    client.papers_app = app  # type: ignore[attr-defined]  # read by views.app_of
    tree = PapersTree(client)
    guild = discord.Object(id=guild_id) if guild_id is not None else None
    tree.add_command(with_club(with_home(Papers(app, guild_id))), guild=guild)
    tree.add_command(look_up_menu(guild_id), guild=guild)
    tree.error(on_command_error)
    client.tree = tree  # type: ignore[attr-defined]
    client.add_dynamic_items(*PAGE_ITEMS, *HOME_ITEMS)
    register_reactions(client, app)
    return client


async def guild_count(token: str) -> int:
    """The application's approximate guild count, asked (over REST, no gateway) before choosing the client class."""
    probe = discord.Client(intents=discord.Intents.none())
    async with probe:
        await probe.login(token)
        return probe.application.approximate_guild_count if probe.application else 0


async def beat_while_connected(client: discord.Client, beat: Heartbeat) -> None:
    """The worker's heartbeat: touched from the client's own event loop, and only while it is connected."""
    while not client.is_closed():
        if client.is_ready():
            beat.beat()
        await asyncio.sleep(BEAT_SECONDS)


async def close_gracefully(client: discord.Client) -> None:
    """On SIGTERM: let the commands being answered finish (for a while), then leave the gateway."""
    tree: PapersTree = client.tree  # type: ignore[attr-defined]
    log.info("stopping the Discord client (%d command(s) in hand)", len(tree.answering))
    await tree.finish_answering(STOP_GRACE_SECONDS)
    await client.close()


async def start(app: App) -> None:
    """Log in, sync the commands if they changed and stay connected until cancelled or sent SIGTERM."""
    settings = app.settings
    if settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    token = settings.discord_token.get_secret_value()
    guilds = await guild_count(token)
    client = build_client(app, sharded=guilds > settings.discord_shard_above, guild_id=settings.discord_guild_id)
    log.info(
        "starting the Discord client for about %d guild(s)%s",
        guilds,
        " (sharded)" if guilds > settings.discord_shard_above else "",
    )
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(close_gracefully(client)))
    async with client:
        beating = asyncio.create_task(beat_while_connected(client, heartbeat(settings, "discord")))
        await client.login(token)
        await sync_commands(client, settings.discord_guild_id, hash_file(app.engine))
        await client.connect()
        beating.cancel()


async def sync_now(app: App) -> bool:
    """`papers-bot discord sync`: log in over REST, sync the command tree whatever the stored hash says."""
    if app.settings.discord_token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    client = build_client(app, guild_id=app.settings.discord_guild_id)
    async with client:
        await client.login(app.settings.discord_token.get_secret_value())
        return await sync_commands(client, app.settings.discord_guild_id, hash_file(app.engine), force=True)


def run(app: App) -> None:
    """Blocking: the Discord bot until Ctrl-C or SIGTERM; call it from the main thread or its own thread."""
    try:
        asyncio.run(start(app))
    except KeyboardInterrupt:
        log.info("Discord client stopped")

"""The journal club on Discord: `/papers club` as a native poll (an answer a paper, numbered, cut to Discord's 55
characters) with the papers' links in a follow-up message, and the poll's own count read at closing."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Range

from adapters.discord.render import NO_MENTIONS, Message, fit, inert, safe_url
from adapters.discord.replies import render
from adapters.discord.sender import DiscordSender
from adapters.discord.views import QUICK, actor_of, app_of, channel_of, respond
from bot.chat import commands as c
from bot.chat.replies import Reply
from bot.club.chat import posted
from bot.club.closing import Counted
from bot.club.replies import ClubBallot
from bot.domain import ChannelRef

log = logging.getLogger(__name__)

QUESTION_CHARS, ANSWER_CHARS = 300, 55  # Discord's limits on a poll's question and each answer


def poll_of(ballot: ClubBallot) -> discord.Poll:
    """The vote as Discord's poll: as long as the club's hours, one answer a paper, `1. Title…`."""
    poll = discord.Poll(question=ballot.question()[:QUESTION_CHARS], duration=timedelta(hours=ballot.hours))
    for numbered in ballot.numbered():
        poll.add_answer(text=fit(numbered, ANSWER_CHARS, inert))
    return poll


def links_of(ballot: ClubBallot) -> str:
    """The follow-up: each number with its full title and link (in <> so that ten links make no ten previews)."""
    lines = []
    for i, match in enumerate(ballot.matches, 1):
        url = safe_url(match.paper.abs_url)
        lines.append(f"{i}. {fit(match.paper.title, 150)}" + (f" <{url}>" if url else ""))
    return fit("\n".join(lines), 1900, lambda text: text)


async def _ask(interaction: discord.Interaction, command: c.Club) -> Reply:
    """The core's answer; a slow one is deferred (publicly: the poll follows) so that it never times out."""
    app = app_of(interaction)
    work = asyncio.ensure_future(
        asyncio.to_thread(app.service.run, channel_of(interaction), actor_of(interaction), command)
    )
    done, _ = await asyncio.wait({work}, timeout=QUICK)
    if not done:
        await interaction.response.defer(thinking=True)
    return await work


@app_commands.describe(papers="how many papers, 2 to 10 (5)", hours="how long the vote lasts, 1 to 168 hours (24)")
async def club(interaction: discord.Interaction, papers: Range[int, 2, 10] = 5, hours: Range[int, 1, 168] = 24) -> None:
    """This week's top matches of this channel's subscriptions put to a vote; the winner is announced at its end."""
    command = c.Club(papers, hours, direct=interaction.guild_id is None)
    reply = await _ask(interaction, command)
    if not isinstance(reply, ClubBallot):
        await respond(interaction, render(reply))
        return
    try:
        poll_id = await _post_poll(interaction, poll_of(reply))
    except discord.HTTPException as error:  # no Send Polls permission here, say: the club is never opened
        log.warning("could not post journal club %d: %s %s", reply.club_id, error.status, error.text[:200])
        await respond(
            interaction, Message(f"I could not post the poll in this channel: Discord said {fit(error.text, 200)}.")
        )
        return
    app = app_of(interaction)
    await asyncio.to_thread(posted, app.service, reply.club_id, [poll_id])  # open from now on, whatever follows
    links = await interaction.followup.send(links_of(reply), wait=True, allowed_mentions=NO_MENTIONS)
    await asyncio.to_thread(posted, app.service, reply.club_id, [poll_id, str(links.id)])


async def _post_poll(interaction: discord.Interaction, poll: discord.Poll) -> str:
    """The poll as the command's answer (or its follow-up, after a deferral); its message id."""
    if interaction.response.is_done():
        return str((await interaction.followup.send(poll=poll, wait=True, allowed_mentions=NO_MENTIONS)).id)
    answered = await interaction.response.send_message(poll=poll, allowed_mentions=NO_MENTIONS)
    return str(answered.message_id or (await interaction.original_response()).id)


def with_club(group: app_commands.Group) -> app_commands.Group:
    """`/papers club` added to the group (kept out of app.py, which holds the other subcommands)."""
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name="club",
        description="Journal club: this week's top papers of this channel put to a poll",
        callback=club,
    )
    group.add_command(command)
    return group


class DiscordClubs:
    """At closing: the poll's own count, read from its message (ended first if Discord has not yet)."""

    def __init__(self, sender: DiscordSender) -> None:
        self.sender = sender

    def results(self, channel: ChannelRef, message_ids: tuple[str, ...], papers: int) -> Counted | None:
        return self.sender.on_loop(self._results(channel, message_ids, papers))

    async def _results(self, channel: ChannelRef, message_ids: tuple[str, ...], papers: int) -> Counted:
        where = self.sender.client.get_partial_messageable(int(channel.channel))
        message = await where.fetch_message(int(message_ids[0]))
        poll = message.poll
        if poll is None:  # the poll was removed from the message: nobody's vote can be read
            return Counted((0,) * papers)
        if not poll.is_finalised() and (poll.expires_at is None or poll.expires_at > discord.utils.utcnow()):
            poll = (await message.end_poll()).poll or poll  # our clock is first: Discord's own end is a moment later
        counts = tuple(answer.vote_count for answer in poll.answers)
        return Counted((counts + (0,) * papers)[:papers], final=poll.is_finalised())

    def show_closed(self, channel: ChannelRef, message_ids: tuple[str, ...], ballot: ClubBallot) -> None:
        """Discord shows a poll's end itself."""

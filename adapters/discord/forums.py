"""Discord forum (and media) channels: each paper its own post with the card and buttons, the paper's topics as tags.

A post in a forum is a thread whose first message has the thread's id. Creating one takes no nonce, so a
post is found again after a crash by its mark in the card's footer, among the bot's threads in the forum.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import discord

from adapters.discord.limits import as_plain, fit_message
from adapters.discord.marks import mark_footer, read_mark
from adapters.discord.render import COLOUR, DESCRIPTION, Message, fit, fit_lines, inert, match_embed, plain
from adapters.discord.views import feedback_view
from bot.delivery.senders import Part
from bot.domain import ChannelRef, Digest, Paper

if TYPE_CHECKING:  # the matcher is built only where no wiring gave the app's (a sender made on its own)
    from bot.relevance.matching import Matcher

log = logging.getLogger(__name__)

TAGS = 20  # a forum holds at most 20 tags, the people's and the bot's together
TAG_NAME = 20  # characters in a tag's name
APPLIED = 5  # tags on one post
POST_NAME = 100  # characters in a post's title
ARCHIVE = 1440  # minutes without activity before a post leaves the active threads, where a resumed pass looks
HISTORY = 100  # archived posts looked through for a mark, as for the messages of a channel
INVALID_FORM = 50035
UNTOPICAL = "Papers"  # the tag of a post of no known topic, in a forum that requires one
REASON = "papers-bot: the topics of the papers it posts here"
TopicsOf = Callable[[Paper], Sequence[str]]


@cache
def _default_matcher() -> Matcher:
    from bot.relevance.matching import Matcher
    from bot.relevance.topics import default_taxonomy

    return Matcher(default_taxonomy())


def bundled_topics(paper: Paper) -> Sequence[str]:
    """Top-level topics from the bundled taxonomy (the wiring gives the app's own matcher instead)."""
    from bot.relevance.top_topics import top_level_topics

    return top_level_topics(_default_matcher(), paper)


def tag_name(topic: str) -> str:
    return fit(" ".join(plain(topic).split()), TAG_NAME, str)


def post_name(title: str) -> str:
    return fit(" ".join(plain(title).split()) or "papers", POST_NAME, inert)


def tag_payload(tag: discord.ForumTag) -> dict[str, Any]:
    payload = tag.to_dict() | {"id": str(tag.id)}
    if payload.get("emoji_id") is not None:
        payload["emoji_id"] = str(payload["emoji_id"])
    return payload


def forum_tag(data: dict[str, Any]) -> discord.ForumTag:
    """A tag as Discord answered it: what applied_tags needs is its id."""
    tag = discord.ForumTag(name=data["name"], moderated=bool(data.get("moderated")))
    tag.id = int(data["id"])
    return tag


def applied(tags: dict[str, discord.ForumTag], topics: Sequence[str]) -> list[discord.ForumTag]:
    return [tags[t.casefold()] for t in topics if t.casefold() in tags][:APPLIED]


@dataclass(frozen=True)
class ForumPost:
    """One post a digest makes in a forum: part 0 is the summary, part i the i-th paper."""

    part: Part
    name: str
    message: Message
    topics: tuple[str, ...] = ()


def paper_posts(digest: Digest, mark: str, topics_of: TopicsOf) -> list[ForumPost]:
    """The papers' posts; their parts count the summary (part 0) whether or not it is posted,
    so a post cut short lines up with the same digest whatever the summary setting is now."""
    count = len(digest.matches) + 1
    posts = []
    for i, match in enumerate(digest.matches, 1):
        part = Part(i, count, (match.paper,))
        card = Message("", [match_embed(match, mark_footer(mark, part))], ephemeral=False, feedback=(match.paper.key,))
        topics = tuple(dict.fromkeys(tag_name(t) for t in topics_of(match.paper)))
        posts.append(ForumPost(part, post_name(match.paper.title), card, topics))
    return posts


def summary_post(digest: Digest, mark: str, ids: dict[int, str]) -> ForumPost:
    """The day's summary: a post of its own linking to each paper's post (a channel link pings no one)."""
    part = Part(0, len(digest.matches) + 1, ())
    lines = [
        f"{i}\\. <#{ids[i]}>" if i in ids else f"{i}\\. {fit(m.paper.title, 150)}"
        for i, m in enumerate(digest.matches, 1)
    ]
    embed = discord.Embed(description=fit_lines(lines, DESCRIPTION), colour=COLOUR)
    embed.set_footer(text=mark_footer(mark, part) + " · each paper is a post of its own")
    more = f"\n… and {digest.more} more: `/papers digest` shows them." if digest.more else ""
    content = f"**{fit(digest.title, 300)}**{more}"
    return ForumPost(part, post_name(digest.title), Message(content, [embed], ephemeral=False))


@dataclass
class Forums:
    """What the Discord sender does for forum channels; it remembers which channels are not forums."""

    client: discord.Client
    topics_of: TopicsOf = bundled_topics
    _not_forums: set[int] = field(default_factory=set)
    _untagged: set[int] = field(default_factory=set)  # forums whose tags the bot may not change (logged once)

    async def of(self, channel: ChannelRef) -> discord.ForumChannel | None:
        """The forum behind a channel's feed, read afresh (its tags change); None for any other channel."""
        if channel.is_personal or int(channel.base.channel) in self._not_forums:
            return None
        channel_id = int(channel.base.channel)
        found = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if isinstance(found, discord.ForumChannel):
            return found
        self._not_forums.add(channel_id)
        return None

    async def post(self, forum: discord.ForumChannel, digest: Digest, mark: str, found: dict[int, str]) -> list[str]:
        """Post what is not in `found` yet (part index -> thread id); the thread ids of every part, summary first."""
        posts = paper_posts(digest, mark, self.topics_of)
        # A forum that requires a tag refuses a post without one: a paper of no known topic, and the summary, get one.
        untopical = (UNTOPICAL,) if forum.flags.require_tag else ()
        posts = [p if p.topics else replace(p, topics=untopical) for p in posts]
        wanted = [t for p in posts if p.part.index not in found for t in p.topics]
        tags = await self.keep_tags(forum, wanted + list(untopical) * (digest.summary and 0 not in found))
        ids = dict(found)
        for post in posts:
            if post.part.index not in ids:
                ids[post.part.index] = await self._create(forum, post, applied(tags, post.topics))
        if digest.summary and 0 not in ids:
            ids[0] = await self._create(forum, summary_post(digest, mark, ids), applied(tags, untopical))
        log.info("posted %d forum post(s) of %s to %s", len(ids) - len(found), mark, forum.id)
        return [ids[i] for i in sorted(ids)]

    async def _create(self, forum: discord.ForumChannel, post: ForumPost, tags: list[discord.ForumTag]) -> str:
        view = feedback_view(post.message.feedback)
        message = fit_message(post.message, view)
        options: dict[str, Any] = {"name": post.name, "auto_archive_duration": ARCHIVE, "applied_tags": tags}
        try:
            # The message's keywords are send()'s; mypy cannot pick create_thread's overload from a dict of them.
            made = await forum.create_thread(  # type: ignore[call-overload]
                **options, **message.kwargs(), **({"view": view} if view else {})
            )
        except discord.HTTPException as exc:
            if exc.status != 400 or exc.code != INVALID_FORM or not message.embeds:
                raise
            log.warning("Discord refused the card of a forum post in %s (%s); posting it as text", forum.id, exc.text)
            made = await forum.create_thread(**options, **fit_message(as_plain(message)).kwargs())
        return str(made.thread.id)

    async def keep_tags(self, forum: discord.ForumChannel, topics: list[str]) -> dict[str, discord.ForumTag]:
        """The forum's tags by folded name, after adding the most frequent missing topics that fit in 20.
        Tags people made are kept as they are; without Manage Channels nothing is added."""
        have = list(forum.available_tags)
        names = {t.name.casefold() for t in have}
        missing = [name for name, _ in Counter(t for t in topics if t.casefold() not in names).most_common()]
        room = TAGS - len(have)
        if missing and room > 0 and forum.id not in self._untagged:
            # The HTTP route forum.edit uses, with ids as strings as Discord's spec types snowflakes (edit sends
            # a tag's id as a number); a tag's emoji and `moderated` go back as they came.
            tags = [tag_payload(t) for t in have] + [{"name": name} for name in missing[:room]]
            try:
                edited = await self.client.http.edit_channel(forum.id, available_tags=tags, reason=REASON)
                have = [forum_tag(t) for t in cast(list[dict[str, Any]], edited.get("available_tags") or [])]
            except discord.Forbidden:
                self._untagged.add(forum.id)
                log.warning("no Manage Channels in forum %s: its posts go without tags", forum.id)
        return {t.name.casefold(): t for t in have}

    async def found(self, forum: discord.ForumChannel, mark: str) -> tuple[dict[int, str], int]:
        """Part index -> thread id of this mark's posts among the bot's active and recently archived posts."""

        bot = self.client.user.id if self.client.user else None
        data = await self.client.http.get_active_threads(forum.guild.id)
        threads = [
            int(t["id"])
            for t in data.get("threads", [])
            if t.get("parent_id") == str(forum.id) and (bot is None or t.get("owner_id") == str(bot))
        ]
        threads += [t.id async for t in forum.archived_threads(limit=HISTORY) if t.owner_id == bot]
        found: dict[int, str] = {}
        count = 0
        for thread_id in sorted(set(threads), reverse=True):  # newest first: a post cut short is a recent one
            if count and len(found) == count:
                break
            try:
                first = await self.client.get_partial_messageable(thread_id).fetch_message(thread_id)
            except discord.NotFound:  # a post whose first message was deleted
                continue
            seen = read_mark(first) if bot is None or first.author.id == bot else None
            if seen and seen[0] == mark:
                found[seen[1]], count = str(thread_id), seen[2]
        return found, count

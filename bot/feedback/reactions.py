"""Reactions on the bot's posts as feedback: a thumbs up likes every paper of that message, a thumbs down dislikes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.delivery.senders import posted_slices
from bot.domain import ChannelRef
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Slack's names (`+1`, `thumbsup`, with `::skin-tone-N` after them) and Discord's unicode emoji (and skin tones).
THUMBS = {"+1": "like", "thumbsup": "like", "\N{THUMBS UP SIGN}": "like"}
THUMBS |= {"-1": "dislike", "thumbsdown": "dislike", "\N{THUMBS DOWN SIGN}": "dislike"}
SKIN_TONES = "".join(chr(code) for code in range(0x1F3FB, 0x1F400))


def kind_of(emoji: str) -> str | None:
    """`like`, `dislike`, or None for any other emoji."""
    name = emoji.strip().strip(":").split("::")[0].rstrip(SKIN_TONES + "\N{VARIATION SELECTOR-16}")
    return THUMBS.get(name)


@dataclass(frozen=True)
class Reaction:
    """One reaction added or removed, as an adapter translates the platform's event.

    `feeds` are the feeds whose posts may hold the message: the conversation's channel (and its parent when the
    message is in a thread), or the person's own feed in a direct message. Their weekly best-of posts count too.
    `direct` on a platform whose direct-message events do not say the workspace (Discord): any of the actor's own
    feeds on `direct` (that platform) may hold it."""

    feeds: tuple[ChannelRef, ...]
    message_id: str
    actor: str
    emoji: str
    added: bool
    direct: str | None = None


@dataclass(frozen=True)
class Reacted:
    """What a reaction changed: the feed it counts for, its papers, and that feed's likes and dislikes now."""

    feed: ChannelRef
    kind: str
    paper_keys: tuple[str, ...]
    changed: int
    signals: int


def papers_on(
    uow: UnitOfWork, feeds: Sequence[ChannelRef], message_id: str
) -> tuple[ChannelRef, tuple[str, ...]] | None:
    """The feed that posted this message and the papers it shows (none on a parent); None: not one of our posts."""
    refs = list(dict.fromkeys(str(ref) for feed in feeds for ref in (feed.base, feed.base.weekly_best())))
    posted = uow.outbox.posted_with(refs, message_id) if refs and message_id else None
    if posted is None:
        return None
    slices = posted_slices(len(posted.paper_keys), len(posted.message_ids))
    index = posted.message_ids.index(message_id)
    shown = posted.paper_keys[slices[index]] if index < len(slices) else ()
    return ChannelRef.parse(posted.channel).base, tuple(shown)


def react(uow: UnitOfWork, reaction: Reaction, now: datetime) -> Reacted | None:
    """Count a thumbs up or down on one of our messages (or take it back); None when it counts for nothing.

    The same rows as the buttons: one per person, paper and kind, so a reaction and a click on the same paper are
    one like, and removing the reaction takes that like back."""
    kind = kind_of(reaction.emoji)
    if kind is None or not reaction.actor:
        return None
    feeds = list(reaction.feeds)
    if reaction.direct:
        feeds += [ChannelRef.parse(ref) for ref in uow.outbox.personal_feeds(reaction.direct, reaction.actor)]
    found = papers_on(uow, feeds, reaction.message_id)
    if found is None or not found[1]:
        return None
    feed, keys = found
    channel = str(feed)
    if reaction.added:
        changed = sum(uow.feedback.give(channel, key, reaction.actor, kind, now) for key in keys)
    else:
        changed = sum(uow.feedback.withdraw(channel, key, reaction.actor, kind) for key in keys)
    signals = uow.feedback.signals([channel]).get(channel, 0)
    return Reacted(feed, kind, keys, changed, signals)


def count_reaction(engine: Engine, reaction: Reaction, now: datetime) -> Reacted | None:
    """`react` in its own unit of work, committed: what the adapters call for each reaction event."""
    if kind_of(reaction.emoji) is None:
        return None  # most reactions are other emoji: no database work for them
    with UnitOfWork(engine) as uow:
        reacted = react(uow, reaction, now)
        uow.commit()
    if reacted is not None:
        verb = "added" if reaction.added else "removed"
        log.info(
            "%s %s a %s on %d paper(s) of %s", reaction.actor, verb, reacted.kind, len(reacted.paper_keys), reacted.feed
        )
    return reacted

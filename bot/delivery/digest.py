"""Digest building for one channel: the same fan-out a delivery pass shares, so a preview is the post."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.delivery.fanout import NEW_FOR, TOO_OLD, FanOut, digest_title
from bot.delivery.schedule import local
from bot.domain import ChannelRef, Digest
from bot.feedback.rerank import channel_taste, learned_digest
from bot.feedback.signals import SIGNALS_KEPT, Labels
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.feedback.learned import Taste

__all__ = ["NEW_FOR", "TOO_OLD", "build_digest", "digest_title", "taste_now"]


def build_digest(
    uow: UnitOfWork,
    matcher: Matcher,
    channel: ChannelRef,
    now: datetime,
    cap: int | None = 10,
    kept: int = SIGNALS_KEPT,
) -> Digest:
    """What the channel's next post would hold; `more` counts matches beyond the cap (None: no cap); re-ranked
    by what the channel's `kept` most recent likes and dislikes taught."""
    ranked = _ranked(uow, matcher, channel, now)
    if ranked is None:
        return Digest(channel, (), 0, "", now)
    # Learned re-ranking (bot/feedback): the ranked digest re-ordered by the channel's likes and dislikes.
    learned = uow.feedback.learned_from(str(channel))
    row = uow.channels.get(channel)
    return learned_digest(uow, channel, ranked, cap, learned, kept, row.upvotes if row is not None else "normal")


def taste_now(
    uow: UnitOfWork, matcher: Matcher, channel: ChannelRef, now: datetime, kept: int = SIGNALS_KEPT
) -> tuple[Taste | None, Labels, Mapping]:
    """The model the channel's next post is re-ranked by, what it learned from, and their topic evidence."""
    ranked = _ranked(uow, matcher, channel, now)
    learned = uow.feedback.learned_from(str(channel)) if ranked else None
    return channel_taste(uow, channel, ranked or (lambda cap: Digest(channel, (), 0, "", now)), learned, kept)


def _ranked(
    uow: UnitOfWork, matcher: Matcher, channel: ChannelRef, now: datetime
) -> Callable[[int | None], Digest] | None:
    """The channel's ranked digest for a cap, before feedback; None when it follows nothing."""
    subscriptions = uow.subscriptions.for_channel(channel)
    if not subscriptions:
        return None
    fanout = FanOut.load(uow, PaperTopics(uow.engine, matcher), now)
    delivered = uow.outbox.delivered_keys(channel)
    now = local(now, uow.channels.schedule(channel).tz)  # the title's day as the channel's clock shows it
    return lambda cap: fanout.digest(channel, subscriptions, delivered, now, cap)

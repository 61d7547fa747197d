"""Digest building for one channel: the same fan-out a delivery pass shares, so a preview is the post."""

from __future__ import annotations

from datetime import datetime

from bot.delivery.fanout import NEW_FOR, TOO_OLD, FanOut, digest_title
from bot.delivery.schedule import local
from bot.domain import ChannelRef, Digest
from bot.feedback.rerank import learned_digest
from bot.feedback.signals import SIGNALS_KEPT
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from storage.uow import UnitOfWork

__all__ = ["NEW_FOR", "TOO_OLD", "build_digest", "digest_title"]


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
    subscriptions = uow.subscriptions.for_channel(channel)
    if not subscriptions:
        return Digest(channel, (), 0, "", now)
    fanout = FanOut.load(uow, PaperTopics(uow.engine, matcher), now)
    delivered = uow.outbox.delivered_keys(channel)
    now = local(now, uow.channels.schedule(channel).tz)  # the title's day as the channel's clock shows it
    # Learned re-ranking (bot/feedback): the ranked digest re-ordered by the channel's likes and dislikes.
    signals = uow.feedback.signals([str(channel)]).get(str(channel), 0)
    return learned_digest(
        uow, channel, lambda c: fanout.digest(channel, subscriptions, delivered, now, c), cap, signals, kept
    )

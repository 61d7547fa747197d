"""Feeds other than a channel's own post: a person's feed (by direct message) and a weekly best-of feed."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.chat import replies as r
from bot.delivery.schedule import zone
from bot.delivery.schedule_words import parse_weekly_best, read_summary
from bot.domain import Actor, ChannelRef, Schedule
from bot.errors import PapersError
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

YOUR_FEED = "your feed"
WEEKLY_BEST_POST = "weekly best-of post"


def where(target: ChannelRef) -> str:
    """How answers name the feed a command changed: "this channel" or "your feed"."""
    return YOUR_FEED if target.is_personal else "this channel"


def personal_reply(reply: r.Reply) -> r.Reply:
    """A person's own feed is their business: answered to them alone, and called theirs."""
    if isinstance(reply, (r.Subscribed, r.Unsubscribed, r.SubscriptionList, r.DigestPreview, r.ScheduleSet)):
        return replace(reply, ephemeral=True, where=YOUR_FEED)
    return replace(reply, ephemeral=True)


def schedule_of(uow: UnitOfWork, target: ChannelRef, actor: Actor, default: Schedule) -> Schedule:
    """A feed's schedule; a person's new feed starts in the person's own time zone when the platform told it."""
    if target.is_personal and actor.tz and uow.channels.get(target) is None:
        try:
            return replace(default, tz=zone(actor.tz).key)
        except PapersError:
            log.info("ignored the unknown time zone %r of %s", actor.tz, actor.id)
    return uow.channels.schedule(target)


def set_weekly_best(uow: UnitOfWork, feed: ChannelRef, args: str, current: Schedule) -> tuple[Schedule, str]:
    """Store `/papers schedule ... top [only|off]` for a channel's or person's feed; returns the best-of post's
    schedule (cadence off when turned off) and what to call it. The week's best is a feed of its own (`/top`)
    with its own schedule and outbox, alongside the regular post or (`only`) instead of it."""
    schedule, only = parse_weekly_best(args, default_tz=current.tz)
    best, post = feed.weekly_best(), WEEKLY_BEST_POST
    if schedule is None:
        schedule = replace(uow.channels.schedule(best), cadence="off")
        if uow.channels.get(best) is not None:  # never make a row only to say it is off
            uow.channels.set_schedule(best, schedule)
    else:
        uow.channels.set_schedule(best, schedule)
        uow.channels.pause(best, None)
        if only:
            uow.channels.set_schedule(feed, replace(current, cadence="off"))
            post += " (instead of the regular post)"
    return schedule, post


def gets_no_post(uow: UnitOfWork, feed: ChannelRef) -> bool:
    """Whether a feed's regular post and its week's best are both off (or the week's best was never set)."""
    best = uow.channels.get(feed.weekly_best())
    return uow.channels.schedule(feed).cadence == "off" and (best is None or best.cadence == "off")


def set_summary(uow: UnitOfWork, feed: ChannelRef, args: str) -> tuple[bool | None, str]:
    """Store `summary on|off` if the words say it; returns it (None: not said) and the rest of the words."""
    summary, rest = read_summary(args)
    if summary is not None:
        row = uow.channels.row(feed)
        row.summary = summary
        uow.session.add(row)
    return summary, rest

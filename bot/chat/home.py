"""What a person's Home shows: the channels of their workspace with what each follows, and their saved papers."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import Actor, ChannelRef, Paper, Schedule
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.chat.service import Service

MAX_HOME_CHANNELS = 15  # each takes three blocks of the Home tab's hundred
MAX_HOME_SAVED = 10
MAX_SCANNED = 100  # channels asked whether the person may see them, for one Home


def query_check(query: str) -> str:
    """A short check that a Home's menu option still names the query it was drawn with (`/papers list` numbers
    move when a subscription goes)."""
    return format(zlib.crc32(query.encode()), "08x")


def chosen_query(service: Service, feed: ChannelRef, actor: Actor, number: str, check: str) -> str | None:
    """The query a Home's menu showed as `number` (of `/papers list`) in `feed`, if it still is that one."""
    listed = service.run(feed, actor, c.ListSubscriptions())
    queries = [query for query, _ in listed.subscriptions] if isinstance(listed, r.SubscriptionList) else []
    index = int(number) - 1 if number.isdigit() else -1
    return queries[index] if 0 <= index < len(queries) and query_check(queries[index]) == check else None


@dataclass(frozen=True)
class ChannelFollows:
    """One channel as Home lists it: its subscriptions as typed, its schedule, why it is paused."""

    channel: ChannelRef
    queries: tuple[str, ...]
    schedule: Schedule
    paused: str | None = None


@dataclass(frozen=True)
class Home:
    """Everything one person's Home shows; each part is drawn by its own function, empty parts not at all."""

    actor: Actor
    channels: tuple[ChannelFollows, ...]
    more_channels: int = 0  # channels that follow something but did not fit
    may_change: bool = True
    saved: tuple[Paper, ...] = ()
    own: ChannelFollows | None = None  # the person's own feed (`/papers subscribe ... for me`), if it follows anything


def build_home(
    engine: Engine,
    platform: str,
    workspace: str | None,
    actor: Actor,
    may_change: bool,
    default: Schedule | None = None,
    most: int = MAX_HOME_CHANNELS,
    visible: Callable[[ChannelRef], bool] | None = None,
) -> Home:
    """The Home of `actor` in one workspace: its channels that follow something and that `visible` lets the person
    see (the first `most`), the person's own feed, and what they saved there. Without a workspace (a direct message,
    a server the bot is not in): the person's own feed and what they saved in it alone."""
    channels, total = channels_following(engine, platform, workspace, default, most, visible) if workspace else ((), 0)
    own_feed = actor.own_feed(platform, workspace or "")
    own = follows_of(engine, own_feed, default)
    prefixes = [f"{own_feed}"] + ([f"{platform}:{workspace}:"] if workspace else [])
    saved = papers_saved_by(engine, prefixes, actor)
    return Home(actor, channels, total - len(channels), may_change, saved, own)


def channels_following(
    engine: Engine,
    platform: str,
    workspace: str,
    default: Schedule | None = None,
    most: int = MAX_HOME_CHANNELS,
    visible: Callable[[ChannelRef], bool] | None = None,
) -> tuple[tuple[ChannelFollows, ...], int]:
    """The workspace's channels that follow something and that `visible` lets through (the first `most`), and how
    many there are; `visible` (a question to the platform, cached there) is asked of the first MAX_SCANNED only."""
    with UnitOfWork(engine, default) as uow:
        refs, total = uow.bulk.channels_in(f"{platform}:{workspace}:", max(MAX_SCANNED, most) if visible else most)
    if visible is not None:
        shown = [ref for ref in refs if visible(ChannelRef.parse(ref))]
        refs, total = shown[:most], len(shown)
    with UnitOfWork(engine, default) as uow:
        queries = uow.bulk.queries_of(refs)
        schedules = uow.bulk.schedules_of(refs)
        paused = {ref: row.paused_reason for ref, row in uow.channels.rows(refs).items()}
    found = [
        ChannelFollows(
            ChannelRef.parse(ref),
            tuple(queries.get(ref, ())),
            schedules.get(ref) or uow.default_schedule,
            paused.get(ref),
        )
        for ref in refs
    ]
    return tuple(found), total


def follows_of(engine: Engine, feed: ChannelRef, default: Schedule | None = None) -> ChannelFollows | None:
    """One feed as Home lists it, or None when it follows nothing."""
    with UnitOfWork(engine, default) as uow:
        queries = uow.bulk.queries_of([str(feed)]).get(str(feed))
        if not queries:
            return None
        row = uow.channels.get(feed)
        schedule = uow.bulk.schedules_of([str(feed)]).get(str(feed)) or uow.default_schedule
    return ChannelFollows(feed, tuple(queries), schedule, row.paused_reason if row else None)


def papers_saved_by(engine: Engine, prefixes: list[str], actor: Actor) -> tuple[Paper, ...]:
    """The papers `actor` saved (the Save button, `/papers save`) in the feeds whose refs start with one of
    `prefixes` (a workspace's channels, their own feed), newest first."""
    with UnitOfWork(engine) as uow:
        keys = uow.feedback.saved_by(actor.id, prefixes, MAX_HOME_SAVED)
        papers = {paper.key: paper for paper in uow.papers.by_keys(keys)}
    return tuple(papers[key] for key in keys if key in papers)

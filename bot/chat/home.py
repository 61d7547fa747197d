"""What a person's Home shows: the channels of their workspace with what each follows, and their saved papers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.domain import Actor, ChannelRef, Paper, Schedule
from storage.uow import UnitOfWork

MAX_HOME_CHANNELS = 15  # each takes three blocks of the Home tab's hundred
MAX_HOME_SAVED = 10
MAX_SCANNED = 100  # channels asked whether the person may see them, for one Home


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
    workspace: str,
    actor: Actor,
    may_change: bool,
    default: Schedule | None = None,
    visible: Callable[[ChannelRef], bool] | None = None,
) -> Home:
    """The Home of `actor` in one workspace: the channels they may see that follow something, and what they saved."""
    channels, total = channels_following(engine, platform, workspace, default, visible)
    own = follows_of(engine, ChannelRef.person(platform, workspace, actor.id), default)
    saved = papers_saved_by(engine, platform, workspace, actor)
    return Home(actor, channels, total - len(channels), may_change, saved, own)


def channels_following(
    engine: Engine,
    platform: str,
    workspace: str,
    default: Schedule | None = None,
    visible: Callable[[ChannelRef], bool] | None = None,
) -> tuple[tuple[ChannelFollows, ...], int]:
    """The workspace's channels that follow something and that `visible` lets through (the first
    MAX_HOME_CHANNELS), and how many there are; `visible` (a question to the platform, cached there) is asked of
    the first MAX_SCANNED channels only."""
    with UnitOfWork(engine, default) as uow:
        refs, total = uow.bulk.channels_in(f"{platform}:{workspace}:", MAX_SCANNED if visible else MAX_HOME_CHANNELS)
    if visible is not None:
        shown = [ref for ref in refs if visible(ChannelRef.parse(ref))]
        refs, total = shown[:MAX_HOME_CHANNELS], len(shown)
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


def papers_saved_by(engine: Engine, platform: str, workspace: str, actor: Actor) -> tuple[Paper, ...]:
    """The papers `actor` saved (the Save button, `/papers save`) in the workspace's channels, newest first."""
    with UnitOfWork(engine) as uow:
        keys = uow.feedback.saved_by(actor.id, f"{platform}:{workspace}:", MAX_HOME_SAVED)
        papers = {paper.key: paper for paper in uow.papers.by_keys(keys)}
    return tuple(papers[key] for key in keys if key in papers)

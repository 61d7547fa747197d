"""Wiring in one place: settings in, the engine, taxonomy, matcher, finder, service and senders out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, time

from sqlalchemy import Engine

from bot.config import Settings
from bot.delivery import PassReport, deliver_due
from bot.domain import ChannelRef, Schedule
from bot.find import Finder
from bot.errors import PapersError
from bot.fetching import scheduled_ingest
from bot.ingest import load_seed_if_empty
from bot.matching import Matcher
from bot.scheduler import ScheduledJob, start_scheduler
from bot.senders import Sender
from bot.service import Service, utcnow
from bot.topics import Taxonomy
from storage.engine import make_engine
from storage.migrations import ensure_schema

log = logging.getLogger(__name__)


class NotConfigured(PapersError):
    """A part was asked for whose credentials are not set."""


@dataclass
class App:
    """Everything a process needs, built once."""

    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    matcher: Matcher
    finder: Finder
    service: Service
    senders: dict[str, Sender] = field(default_factory=dict)

    @property
    def default_schedule(self) -> Schedule:
        return default_schedule(self.settings)


def default_schedule(settings: Settings) -> Schedule:
    hours, minutes = (int(part) for part in settings.default_schedule_time.split(":"))
    return Schedule(time(hours, minutes), settings.default_schedule_tz, settings.default_schedule_cadence)


def build_app(settings: Settings | None = None, *, seed: bool = True, clock: Callable[[], datetime] = utcnow) -> App:
    """The real parts from settings; tests pass their own settings (database, API URLs, clock)."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    ensure_schema(engine, upgrade=settings.db_auto_upgrade)
    if seed:
        load_seed_if_empty(engine)
    taxonomy = Taxonomy.load(settings.topics_file)
    matcher = Matcher(taxonomy)
    finder = Finder(engine)
    service = Service(engine, taxonomy, matcher, finder, clock,
                      default_schedule=default_schedule(settings))
    return App(settings, engine, taxonomy, matcher, finder, service)


PARTS = ("slack", "discord", "scheduler")


def senders_for(app: App) -> dict[str, Sender]:
    """A sender for every platform whose credentials are set, and the terminal's always."""
    from adapters.terminal import TerminalSender

    senders: dict[str, Sender] = {"terminal": TerminalSender()}
    if app.settings.slack_bot_token or app.settings.slack_client_id:
        from adapters.slack_sender import SlackSender

        senders["slack"] = SlackSender.from_settings(app.settings, app.engine)
    if app.settings.discord_token:
        from adapters.discord_sender import DiscordSender

        senders["discord"] = DiscordSender.from_settings(app.settings)
    return senders


def delivery_pass(app: App, force: bool = False) -> PassReport:
    """One pass over the due channels (all with `force`), with the platform senders."""
    senders = app.senders or senders_for(app)
    try:
        return deliver_due(app.engine, app.matcher, senders, app.service.clock(), force=force,
                           cap=app.settings.digest_cap, default_schedule=app.default_schedule)
    finally:
        if not app.senders:  # made for this pass: their connections go with it
            for sender in senders.values():
                close = getattr(sender, "close", None)
                if close:
                    close()


def scheduled_jobs(app: App) -> list[ScheduledJob]:
    """Fetching on the clock, after each source publishes (times in UTC from settings)."""
    jobs = []
    for source, at in (("hf", app.settings.ingest_hf_at), ("arxiv", app.settings.ingest_arxiv_at)):
        hours, minutes = (int(part) for part in at.split(":"))
        jobs.append(ScheduledJob(f"ingest-{source}", f"{minutes} {hours} * * *", partial(scheduled_ingest, app, source)))
    return jobs


def configured_parts(settings: Settings) -> list[str]:
    parts = []
    if (settings.slack_app_token or settings.slack_signing_secret or settings.slack_client_id
            or (settings.slack_bot_token and settings.port is not None)):
        parts.append("slack")
    if settings.discord_token:
        parts.append("discord")
    return parts


def run_everything(app: App, only: str | None = None) -> None:
    """`papers-bot run`: every configured adapter plus the scheduler; the terminal when none is set."""
    from adapters import discord_app, slack_server
    from adapters.terminal import chat

    adapters = [p for p in configured_parts(app.settings) if only in (None, p)]
    if only in ("slack", "discord") and not adapters:
        raise NotConfigured(f"`--only {only}` needs its credentials in the environment (see the README).")
    app.senders = senders_for(app)
    if only != "scheduler":  # the first /papers find should not wait for the vocabulary
        threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    slack = slack_server.start(app) if "slack" in adapters else None  # may refuse: before anything runs
    scheduler = None
    if only in (None, "scheduler"):
        scheduler = start_scheduler(app.engine, lambda: delivery_pass(app), app.settings.scheduler_tick_minutes,
                                    scheduled_jobs(app))
    try:
        if "discord" in adapters:
            discord_app.run(app)
        elif slack is not None:
            slack.wait()
        elif only == "scheduler":
            threading.Event().wait()
        else:
            chat(app.service, ChannelRef("terminal", "local", "lab"))
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if slack is not None:
            slack.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)

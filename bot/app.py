"""Wiring in one place: settings in, the engine, taxonomy, matcher, finder, service and senders out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import Engine

from bot.config import Settings
from bot.delivery import PassReport, deliver_due
from bot.domain import ChannelRef, Schedule
from bot.find import Finder
from bot.ingest import load_seed_if_empty
from bot.matching import Matcher
from bot.scheduler import start_scheduler
from bot.senders import Sender
from bot.service import Service, utcnow
from bot.topics import Taxonomy
from storage.engine import make_engine
from storage.migrations import ensure_schema

log = logging.getLogger(__name__)


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
    service = Service(engine, taxonomy, matcher, finder, settings.digest_cap, clock,
                      default_schedule=default_schedule(settings))
    return App(settings, engine, taxonomy, matcher, finder, service)


def senders_for(app: App) -> dict[str, Sender]:
    """A sender for every platform whose credentials are set, and the terminal's always."""
    from adapters.terminal import TerminalSender

    senders: dict[str, Sender] = {"terminal": TerminalSender()}
    if app.settings.slack_bot_token or app.settings.slack_client_id:
        from adapters.slack_sender import SlackSender

        senders["slack"] = SlackSender.from_settings(app.settings, app.engine)
    return senders


def delivery_pass(app: App, force: bool = False) -> PassReport:
    """One pass over the due channels (all with `force`), with the platform senders."""
    senders = app.senders or senders_for(app)
    return deliver_due(app.engine, app.matcher, senders, app.service.clock(), force=force, cap=app.settings.digest_cap)


def run_everything(app: App) -> None:
    """`papers-bot run`: every configured adapter plus the scheduler; the terminal when none is."""
    from adapters.terminal import chat

    app.senders = senders_for(app)
    scheduler = start_scheduler(app.engine, lambda: delivery_pass(app), app.settings.scheduler_tick_minutes)
    try:
        chat(app.service, ChannelRef("terminal", "local", "lab"))
    finally:
        scheduler.shutdown(wait=False)

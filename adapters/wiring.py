"""The composition root: which senders a process has, and `papers-bot run` starting adapters and the clock."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timezone
from functools import partial
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from adapters.discord import app as discord_app
from adapters.discord.sender import DiscordSender
from adapters.health import BEAT_SECONDS, Heartbeat, heartbeat
from adapters.modes import configured_parts, missing
from adapters.slack import server as slack_server
from adapters.slack.sender import SlackSender
from adapters.terminal.channel import TerminalSender, chat
from bot.app import App
from bot.config import Settings
from bot.delivery.passes import PassReport, deliver_due
from bot.delivery.scheduler import ScheduledJob, start_scheduler
from bot.delivery.senders import Sender
from bot.domain import ChannelRef
from bot.errors import PapersError
from bot.sources.fetching import SOURCES, fetch_time, scheduled_ingest

log = logging.getLogger(__name__)

PARTS = ("slack", "discord", "scheduler")  # the Procfile's web, worker and clock


class NotConfigured(PapersError):
    """A part was asked for whose credentials are not set; the message names the missing variables."""


def senders_for(app: App) -> dict[str, Sender]:
    """A sender for every platform whose credentials are set, and the terminal's always."""
    senders: dict[str, Sender] = {"terminal": TerminalSender()}
    if app.settings.slack_bot_token or app.settings.slack_client_id:
        senders["slack"] = SlackSender.from_settings(app.settings, app.engine)
    if app.settings.discord_token:
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
    """Fetching on the clock, after each source publishes (times in UTC from settings), and once at start
    to catch up on what was missed while the clock was down."""
    jobs = []
    for source in SOURCES:
        at = fetch_time(app.settings, source)
        fetch = partial(scheduled_ingest, app.engine, app.settings, source)
        jobs.append(ScheduledJob(f"ingest-{source}", f"{at.minute} {at.hour} * * *", fetch, at_start=True))
    return jobs


def beat_on(scheduler: BackgroundScheduler, beat: Heartbeat) -> None:
    """The clock's heartbeat is a job of its own: it beats while the scheduler still runs jobs."""
    scheduler.add_job(beat.beat, "interval", seconds=BEAT_SECONDS, id="heartbeat", coalesce=True, max_instances=1,
                      next_run_time=datetime.now(timezone.utc))


def stop_on_sigterm() -> None:
    """SIGTERM (a container or a process manager stopping us) ends `run` the way Ctrl-C does: cleanly, status 0."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: finishing the work in hand, then stopping", signal.Signals(signum).name)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def wait_beating(stopped: threading.Event, beat: Heartbeat | None) -> None:
    """Block until `stopped` (or Ctrl-C, SIGTERM), touching the heartbeat while waiting."""
    while True:
        if beat is not None:
            beat.beat()
        if stopped.wait(BEAT_SECONDS):
            return


def check_parts(settings: Settings, only: str | None = None) -> None:
    """Refuse (NotConfigured, naming the missing variables) a part that would start and do nothing."""
    parts = [only] if only else configured_parts(settings)
    problems = [sentence for part in parts for sentence in missing(settings, part)]
    if problems:
        raise NotConfigured(" ".join(problems))


def run_everything(app: App, only: str | None = None) -> None:
    """`papers-bot run`: every configured adapter plus the scheduler; the terminal when none is set."""
    settings = app.settings
    check_parts(settings, only)
    adapters = [p for p in configured_parts(settings) if only in (None, p)]
    stop_on_sigterm()
    app.senders = senders_for(app)
    if only != "scheduler":  # the first /papers find should not wait for the vocabulary
        threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    slack = slack_server.start(app) if "slack" in adapters else None
    scheduler, beats = None, []
    if only in (None, "scheduler"):
        scheduler = start_scheduler(app.engine, lambda: delivery_pass(app), settings.scheduler_tick_minutes,
                                    scheduled_jobs(app))
        beats.append(heartbeat(settings, "scheduler"))
        beat_on(scheduler, beats[-1])
    try:
        if "discord" in adapters:
            beats.append(heartbeat(settings, "discord"))  # beaten by the client's own loop
            discord_app.run(app)
        elif slack is not None:
            beats.append(heartbeat(settings, "slack"))
            wait_beating(slack.stopped, beats[-1] if slack.mode == "socket" else None)  # HTTP: /healthz answers
        elif only == "scheduler":
            wait_beating(threading.Event(), None)
        else:
            chat(app.service, ChannelRef("terminal", "local", "lab"))
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if slack is not None:
            slack.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)  # the job in hand (a delivery, a fetch) finishes first
            scheduler.papers_leader.release()  # type: ignore[attr-defined]
        for beat in beats:
            beat.clear()
        log.info("stopped")

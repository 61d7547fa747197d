"""The composition root: which senders a process has, and `papers-bot run` starting adapters and the clock."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
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
from bot.delivery.fanout import assess_news
from bot.delivery.pacing import SharedPace, paced
from bot.delivery.passes import PassReport, deliver_due
from bot.delivery.scheduler import ScheduledJob, start_delivery_worker, start_scheduler
from bot.delivery.senders import Sender
from bot.domain import ChannelRef
from bot.errors import PapersError
from bot.sources.fetching import SOURCES, fetch_time, scheduled_ingest

log = logging.getLogger(__name__)

PARTS = ("slack", "discord", "scheduler", "delivery")  # the Procfile's web, worker, clock and delivery


class NotConfigured(PapersError):
    """A part was asked for whose credentials are not set; the message names the missing variables."""


def senders_for(app: App) -> dict[str, Sender]:
    """A sender for every platform whose credentials are set, and the terminal's always."""
    senders: dict[str, Sender] = {"terminal": TerminalSender()}
    if app.settings.slack_bot_token or app.settings.slack_client_id:
        senders["slack"] = SlackSender.from_settings(app.settings, app.engine)
    if app.settings.discord_token:
        pace = SharedPace(app.engine, "discord:global", app.settings.discord_requests_per_second)
        senders["discord"] = paced(DiscordSender.from_settings(app.settings), pace)
    return senders


def delivery_pass(app: App, force: bool = False) -> PassReport:
    """One pass over the due channels (all with `force`), with the platform senders."""
    senders = app.senders or senders_for(app)
    try:
        return deliver_due(
            app.engine,
            app.matcher,
            senders,
            app.service.clock(),
            force=force,
            cap=app.settings.digest_cap,
            default_schedule=app.default_schedule,
            paper_topics=app.service.paper_topics,
        )
    finally:
        if not app.senders:  # made for this pass: their connections go with it
            for sender in senders.values():
                close = getattr(sender, "close", None)
                if close:
                    close()


def fetch_and_assess(app: App, source: str) -> None:
    """A scheduled fetch, then the new papers' topic evidence, so the next pass only looks it up."""
    scheduled_ingest(app.engine, app.settings, source)
    assess_news(app.engine, app.service.paper_topics, app.service.clock())


def scheduled_jobs(app: App) -> list[ScheduledJob]:
    """Fetching on the clock, after each source publishes (times in UTC from settings), and once at start
    to catch up on what was missed while the clock was down; each fetch's papers get their topic evidence."""
    jobs = []
    for source in SOURCES:
        at = fetch_time(app.settings, source)
        fetch = partial(fetch_and_assess, app, source)
        jobs.append(ScheduledJob(f"ingest-{source}", f"{at.minute} {at.hour} * * *", fetch, at_start=True))
    # After a taxonomy change every stored paper's evidence is stale: read again in the background.
    jobs.append(ScheduledJob("assess-topics", "17 * * * *", app.service.paper_topics.refresh_all, at_start=True))
    return jobs


def beat_on(scheduler: BackgroundScheduler, beat: Heartbeat) -> None:
    """The clock's heartbeat is a job of its own: it beats while the scheduler still runs jobs."""
    scheduler.add_job(
        beat.beat,
        "interval",
        seconds=BEAT_SECONDS,
        id="heartbeat",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )


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
    if "slack" in adapters and not slack_server.socket_mode(settings):
        # gunicorn takes the main thread (and SIGTERM); the other parts run beside the web app, in its one worker.
        slack_server.check_http(settings)  # may refuse: before anything runs
        others = [p for p in adapters if p != "slack"] + (["scheduler"] if only is None else [])
        slack_server.serve_http(app, partial(_start_beside_web, app, others), workers=1 if others else None)
        return
    stop_on_sigterm()
    app.senders = senders_for(app)
    if only not in ("scheduler", "delivery"):  # the first /papers find should not wait for the vocabulary
        threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    slack = slack_server.start(app) if "slack" in adapters else None
    scheduler, beats = None, []
    if only in (None, "scheduler", "delivery"):
        scheduler = _scheduler(app) if only != "delivery" else _delivery_worker(app)
        beats.append(heartbeat(settings, only or "scheduler"))
        beat_on(scheduler, beats[-1])
    try:
        if "discord" in adapters:
            beats.append(heartbeat(settings, "discord"))  # beaten by the client's own loop
            discord_app.run(app)
        elif slack is not None:
            beats.append(heartbeat(settings, "slack"))
            wait_beating(slack.stopped, beats[-1])
        elif only in ("scheduler", "delivery"):
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
            leader = getattr(scheduler, "papers_leader", None)
            if leader is not None:
                leader.release()
        for beat in beats:
            beat.clear()
        log.info("stopped")


def _scheduler(app: App) -> BackgroundScheduler:
    return start_scheduler(
        app.engine, lambda: delivery_pass(app), app.settings.scheduler_tick_minutes, scheduled_jobs(app)
    )


def _delivery_worker(app: App) -> BackgroundScheduler:
    """One more worker for the passes: any number of them share each pass."""
    return start_delivery_worker(lambda: delivery_pass(app), app.settings.scheduler_tick_minutes)


def _start_beside_web(app: App, parts: list[str]) -> None:
    """In the web worker: the senders, and the scheduler and Discord when this one process runs everything."""
    app.senders = senders_for(app)
    if "scheduler" in parts:
        _scheduler(app)
    if "discord" in parts:
        threading.Thread(target=discord_app.run, args=(app,), name="discord", daemon=True).start()

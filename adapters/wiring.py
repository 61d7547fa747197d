"""The composition root: which senders a process has, and `papers-bot run` starting adapters and the clock."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, cast

from adapters.health import BEAT_SECONDS, Heartbeat, heartbeat, shown_url
from adapters.logs import log_to_file
from adapters.modes import configured_parts, missing
from adapters.terminal.channel import TerminalSender, chat
from bot.app import App
from bot.config import Settings
from bot.delivery.fanout import assess_news
from bot.delivery.pacing import SharedPace, paced
from bot.delivery.passes import PassReport, deliver_due
from bot.delivery.senders import Sender
from bot.domain import ChannelRef
from bot.errors import PapersError
from bot.feedback.rerank import warm as warm_taste
from bot.relevance.top_topics import top_level_topics

if TYPE_CHECKING:  # the clock's and the sources' modules are imported where they run: `deliver` needs neither
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.club.closing import ClubPlatform
    from bot.delivery.scheduler import ScheduledJob

log = logging.getLogger(__name__)

PARTS = ("slack", "discord", "scheduler", "delivery")  # the Procfile's web, worker, clock and delivery


class NotConfigured(PapersError):
    """A part was asked for whose credentials are not set; the message names the missing variables."""


def senders_for(app: App) -> dict[str, Sender]:
    """A sender for every platform whose credentials are set, and the terminal's always."""
    senders: dict[str, Sender] = {"terminal": TerminalSender()}
    if app.settings.slack_bot_token or app.settings.slack_client_id:
        from adapters.slack.sender import SlackSender  # each platform's SDK only where it is configured

        senders["slack"] = SlackSender.from_settings(app.settings, app.engine)
    if app.settings.discord_token:
        from adapters.discord.sender import DiscordSender

        pace = SharedPace(app.engine, "discord:global", app.settings.discord_requests_per_second)
        discord_sender = DiscordSender.from_settings(app.settings)
        discord_sender.forums.topics_of = partial(top_level_topics, app.matcher)  # forum tags: the app's taxonomy
        senders["discord"] = paced(discord_sender, pace)
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
            signals_kept=app.settings.feedback_signals_kept,
        )
    finally:
        if not app.senders:  # made for this pass: their connections go with it
            for sender in senders.values():
                close = getattr(sender, "close", None)
                if close:
                    close()


def close_clubs(app: App) -> list[int]:
    """The clock's journal-club job: every club whose vote is over, claimed once, counted, its winner announced."""
    from bot.club.closing import close_due

    senders = app.senders or senders_for(app)
    try:
        return close_due(app.engine, senders, club_platforms(senders), app.service.clock())
    finally:
        if not app.senders:  # made for this run: their connections go with it
            for sender in senders.values():
                close = getattr(sender, "close", None)
                if close:
                    close()


def club_platforms(senders: dict[str, Sender]) -> dict[str, ClubPlatform]:
    """What each platform's sender also does at a club's closing: Slack's vote message shown closed, Discord's poll
    counted (the sender under the pacing)."""
    platforms: dict[str, ClubPlatform] = {}
    slack = senders.get("slack")
    if slack is not None and hasattr(slack, "client_for"):
        from adapters.slack.club import SlackClubs

        platforms["slack"] = SlackClubs(slack.client_for)
    discord = getattr(senders.get("discord"), "inner", senders.get("discord"))
    if discord is not None and hasattr(discord, "on_loop"):
        from adapters.discord.club import DiscordClubs
        from adapters.discord.sender import DiscordSender

        platforms["discord"] = DiscordClubs(cast(DiscordSender, discord))
    return platforms


def fetch_and_assess(app: App, source: str) -> None:
    """A scheduled fetch, then the new papers' topic evidence, so the next pass only looks it up."""
    from bot.sources.fetching import scheduled_ingest

    scheduled_ingest(app.engine, app.settings, source)
    assess_news(app.engine, app.service.paper_topics, app.service.clock())


def given_up_at_stop(stopping: threading.Event, name: str, work: Callable[[], object]) -> Callable[[], None]:
    """`work` in a thread of its own that the job stops waiting for once `stopping` is set.

    For fetches: a source that does not answer holds a request for its whole timeout, then retries for
    a minute more, and the process must stop within a second or two. What a fetch stored stays; the
    rest is fetched again at the next start (ingest is idempotent, and the run is recorded only when
    it succeeds). Its thread is a daemon: the process does not wait for it at exit.
    """

    def job() -> None:
        worker = threading.Thread(target=work, name=name, daemon=True)
        worker.start()
        while worker.is_alive() and not stopping.is_set():
            worker.join(timeout=0.1)
        if worker.is_alive():
            log.info("%s: stopped waiting for it (the process is stopping)", name)

    return job


def scheduled_jobs(app: App, stopping: threading.Event | None = None) -> list[ScheduledJob]:
    """Fetching on the clock, after each source publishes (times in UTC from settings), and once at start
    to catch up on what was missed while the clock was down; each fetch's papers get their topic evidence.
    Once `stopping` is set the fetches in hand are no longer waited for."""
    from bot.delivery.scheduler import ScheduledJob
    from bot.sources.fetching import SOURCES, fetch_time

    jobs = []
    for source in SOURCES:
        at = fetch_time(app.settings, source)
        fetch = given_up_at_stop(
            stopping or threading.Event(), f"ingest-{source}", partial(fetch_and_assess, app, source)
        )
        jobs.append(ScheduledJob(f"ingest-{source}", f"{at.minute} {at.hour} * * *", fetch, at_start=True))
    # After a taxonomy change every stored paper's evidence is stale: read again in the background.
    jobs.append(ScheduledJob("assess-topics", "17 * * * *", app.service.paper_topics.refresh_all, at_start=True))
    # Journal clubs whose vote is over: each closed once, whichever scheduler leads (a restart catches up at start).
    jobs.append(ScheduledJob("close-clubs", "* * * * *", partial(close_clubs, app), at_start=True))
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


def stop_at_once_on_a_second_interrupt() -> None:
    """While stopping: a second Ctrl-C (or SIGTERM) ends the process now, as a crash would (the outbox
    recovers a post that was in flight), instead of a traceback out of the threads' shutdown."""
    if threading.current_thread() is not threading.main_thread():
        return

    def now(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received again: stopping now", signal.Signals(signum).name)
        logging.shutdown()
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, now)
    signal.signal(signal.SIGTERM, now)


def terminal_mode(settings: Settings, only: str | None = None) -> bool:
    """`run` with no platform configured is the terminal channel."""
    return only is None and not configured_parts(settings)


def terminal_log(settings: Settings) -> Path:
    """Where the terminal channel logs: its lines would print over the prompt and what is typed at it."""
    return settings.runtime_dir / "terminal.log"


def run_everything(app: App, only: str | None = None) -> None:
    """`papers-bot run`: every configured adapter plus the scheduler; the terminal when none is set."""
    from adapters.discord import app as discord_app
    from adapters.slack import server as slack_server

    settings = app.settings
    check_parts(settings, only)
    adapters = [p for p in configured_parts(settings) if only in (None, p)]
    notes = []
    if terminal_mode(settings, only):
        logged_to = log_to_file(terminal_log(settings))
        notes = [f"database: {shown_url(settings.database_url)}", f"log: {logged_to}"]
    log.info("database: %s", shown_url(settings.database_url))
    if "slack" in adapters and not slack_server.socket_mode(settings):
        # uvicorn takes the main thread (and SIGTERM); the other parts run beside the web app, in its one process.
        slack_server.check_http(settings)  # may refuse: before anything runs
        others = [p for p in adapters if p != "slack"] + (["scheduler"] if only is None else [])
        slack_server.serve_http(app, partial(_start_beside_web, app, others), workers=1 if others else None)
        return
    stop_on_sigterm()
    app.senders = senders_for(app)
    if only not in ("scheduler", "delivery"):  # the first /papers find should not wait for the vocabulary
        threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    # Nor the first re-ranked post or preview for scikit-learn's import (only when some channel has a model).
    threading.Thread(target=warm_taste, args=(app.engine,), name="taste-warm", daemon=True).start()
    slack = slack_server.start(app) if "slack" in adapters else None
    scheduler, beats, stopping = None, [], threading.Event()
    if only in (None, "scheduler", "delivery"):
        scheduler = _scheduler(app, stopping) if only != "delivery" else _delivery_worker(app)
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
            chat(app.service, ChannelRef("terminal", "local", "lab"), notes=notes)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        stopping.set()
        stop_at_once_on_a_second_interrupt()
        if slack is not None:
            slack.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)  # a delivery in hand finishes first; fetches were given up
            leader = getattr(scheduler, "papers_leader", None)
            if leader is not None:
                leader.release()
        for beat in beats:
            beat.clear()
        log.info("stopped")


def _scheduler(app: App, stopping: threading.Event | None = None) -> BackgroundScheduler:
    from bot.delivery.scheduler import start_scheduler

    return start_scheduler(
        app.engine, lambda: delivery_pass(app), app.settings.scheduler_tick_minutes, scheduled_jobs(app, stopping)
    )


def _delivery_worker(app: App) -> BackgroundScheduler:
    """One more worker for the passes: any number of them share each pass."""
    from bot.delivery.scheduler import start_delivery_worker

    return start_delivery_worker(lambda: delivery_pass(app), app.settings.scheduler_tick_minutes)


def _start_beside_web(app: App, parts: list[str]) -> None:
    """In the web worker: the senders, and the scheduler and Discord when this one process runs everything."""
    app.senders = senders_for(app)
    if "scheduler" in parts:
        _scheduler(app)
    if "discord" in parts:
        from adapters.discord import app as discord_app

        threading.Thread(target=discord_app.run, args=(app,), name="discord", daemon=True).start()

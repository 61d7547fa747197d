"""The composition root: which senders a process has, and `papers-bot run` starting adapters and the clock."""

from __future__ import annotations

import logging
import threading
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from adapters.discord import app as discord_app
from adapters.discord.sender import DiscordSender
from adapters.slack import server as slack_server
from adapters.slack.sender import SlackSender
from adapters.terminal.channel import TerminalSender, chat
from bot.app import App
from bot.config import Settings
from bot.delivery.passes import PassReport, deliver_due
from bot.delivery.fanout import assess_news
from bot.delivery.pacing import SharedPace, paced
from bot.delivery.scheduler import ScheduledJob, start_delivery_worker, start_scheduler
from bot.delivery.senders import Sender
from bot.domain import ChannelRef
from bot.errors import PapersError
from bot.sources.fetching import scheduled_ingest

log = logging.getLogger(__name__)

PARTS = ("slack", "discord", "scheduler", "delivery")


class NotConfigured(PapersError):
    """A part was asked for whose credentials are not set."""


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
        return deliver_due(app.engine, app.matcher, senders, app.service.clock(), force=force,
                           cap=app.settings.digest_cap, default_schedule=app.default_schedule,
                           paper_topics=app.service.paper_topics)
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
    """Fetching on the clock, after each source publishes (times in UTC from settings); evidence kept current."""
    jobs = []
    for source, at in (("hf", app.settings.ingest_hf_at), ("arxiv", app.settings.ingest_arxiv_at)):
        hours, minutes = (int(part) for part in at.split(":"))
        jobs.append(ScheduledJob(f"ingest-{source}", f"{minutes} {hours} * * *", partial(fetch_and_assess, app, source)))
    # After a taxonomy change every stored paper's evidence is stale: read again in the background.
    jobs.append(ScheduledJob("assess-topics", "17 * * * *", app.service.paper_topics.refresh_all))
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
    adapters = [p for p in configured_parts(app.settings) if only in (None, p)]
    if only in ("slack", "discord") and not adapters:
        raise NotConfigured(f"`--only {only}` needs its credentials in the environment (see the README).")
    if "slack" in adapters and not slack_server.socket_mode(app.settings):
        # gunicorn takes the main thread; the other parts run beside the web app, in its one worker.
        slack_server.check_http(app.settings)  # may refuse: before anything runs
        others = [p for p in adapters if p != "slack"] + (["scheduler"] if only is None else [])
        slack_server.serve_http(app, partial(_start_beside_web, app, others), workers=1 if others else None)
        return
    app.senders = senders_for(app)
    if only not in ("scheduler", "delivery"):  # the first /papers find should not wait for the vocabulary
        threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    slack = slack_server.start(app) if "slack" in adapters else None
    scheduler = None
    if only in (None, "scheduler"):
        scheduler = _scheduler(app)
    elif only == "delivery":  # one more worker for the passes: any number of them share each pass
        scheduler = start_delivery_worker(lambda: delivery_pass(app), app.settings.scheduler_tick_minutes)
    try:
        if "discord" in adapters:
            discord_app.run(app)
        elif slack is not None:
            slack.wait()
        elif only in ("scheduler", "delivery"):
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


def _scheduler(app: App) -> BackgroundScheduler:
    return start_scheduler(app.engine, lambda: delivery_pass(app), app.settings.scheduler_tick_minutes, scheduled_jobs(app))


def _start_beside_web(app: App, parts: list[str]) -> None:
    """In the web worker: the senders, and the scheduler and Discord when this one process runs everything."""
    app.senders = senders_for(app)
    if "scheduler" in parts:
        _scheduler(app)
    if "discord" in parts:
        threading.Thread(target=discord_app.run, args=(app,), name="discord", daemon=True).start()

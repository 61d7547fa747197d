"""Running the Slack adapter: Socket Mode with an app token, else HTTP mode under gunicorn on HOST:PORT."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import slack_bolt
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from adapters.slack.app import build_slack_app
from adapters.slack.wsgi import EVENTS_PATH, HEALTH_PATH, SlackWeb
from bot.app import App
from bot.config import Settings

log = logging.getLogger(__name__)

DEFAULT_PORT = 3000
NO_SIGNING_SECRET = (
    "Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials) "
    "to verify that requests come from Slack, so papers-bot will not start without it."
)


@dataclass
class Running:
    """A started Socket Mode connection: `stop()` to end it, `wait()` to block until it ends."""

    mode: str
    port: int | None
    stop: Callable[[], None]
    stopped: threading.Event

    def wait(self) -> None:
        self.stopped.wait()


def refuse(message: str) -> None:
    """Exit with status 2 and one sentence, before anything else starts."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def socket_mode(settings: Settings) -> bool:
    return settings.slack_app_token is not None


def start_socket_mode(bolt: slack_bolt.App, app_token: str) -> Running:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt, app_token=app_token)  # its WebClient is the app's: SLACK_API_URL
    handler.connect()
    stopped = threading.Event()

    def stop() -> None:
        handler.close()
        stopped.set()

    log.info("Slack Socket Mode connected")
    return Running("socket", None, stop, stopped)


def start(app: App, *, process_before_response: bool = False) -> Running:
    """Socket Mode (SLACK_APP_TOKEN): connect and return without blocking."""
    settings = app.settings
    if settings.slack_app_token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN; HTTP mode is served by serve_http")
    bolt = build_slack_app(app, process_before_response=process_before_response)
    return start_socket_mode(bolt, settings.slack_app_token.get_secret_value())


# --- HTTP mode: gunicorn ---------------------------------------------------------------------


def check_http(settings: Settings) -> None:
    if settings.slack_signing_secret is None or not settings.slack_signing_secret.get_secret_value():
        refuse(NO_SIGNING_SECRET)


def web_app(app: App) -> SlackWeb:
    """The WSGI app a web worker serves: bolt (lazy listeners on its own thread pool) behind the screen."""
    secret = app.settings.slack_signing_secret.get_secret_value() if app.settings.slack_signing_secret else ""
    return SlackWeb(build_slack_app(app), app.engine, secret)


class WebServer(BaseApplication):
    """gunicorn, configured in code: threads in one worker process, since each process holds the find index.

    The App is built before gunicorn forks; `load` runs in the worker, so that its threads (lazy
    listeners, the index's warm-up, `in_worker`) and database connections are the worker's own.
    """

    def __init__(self, app: App, options: dict[str, Any], in_worker: Callable[[], None] | None = None) -> None:
        self.app, self.options, self.in_worker = app, options, in_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings of newer gunicorns (the control socket) are left out on older ones
                self.cfg.set(key, value)

    def load(self) -> SlackWeb:
        self.app.engine.dispose(close=False)  # connections made before the fork belong to the master
        threading.Thread(target=self.app.finder.warm, name="find-warm", daemon=True).start()
        if self.in_worker is not None:
            self.in_worker()
        return web_app(self.app)


def listening(server: Any) -> None:
    """gunicorn's when_ready hook: the one line that says where the bot listens."""
    addresses = ", ".join(str(listener) for listener in server.LISTENERS)  # "http://0.0.0.0:3000"
    log.warning("papers-bot: Slack HTTP mode listening on %s (%s, %s)", addresses, EVENTS_PATH, HEALTH_PATH)


class GunicornLogs(glogging.Logger):
    """gunicorn's own messages through this process's logging: one format (LOG_FORMAT=json included)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True


def bind(host: str, port: int) -> str:
    """gunicorn's `bind`: HOST:PORT, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: Settings, port: int, workers: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bind": bind(settings.host, port),
        "worker_class": "gthread",
        "threads": settings.web_threads,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "backlog": 2048,
        "loglevel": "warning",
        "errorlog": "-",  # no access log: /slack/oauth_redirect's query holds a one-time code
        "when_ready": listening,
        "control_socket_disable": True,
        "proc_name": "papers-bot-web",
        "logger_class": GunicornLogs,
    }
    if workers is not None:
        options["workers"] = workers  # else gunicorn's default: WEB_CONCURRENCY, or 1
    return options


def serve_http(app: App, in_worker: Callable[[], None] | None = None, workers: int | None = None) -> None:
    """Block serving HTTP mode on HOST:PORT until gunicorn is told to stop (SIGTERM, SIGINT)."""
    check_http(app.settings)
    port = app.settings.port if app.settings.port is not None else DEFAULT_PORT
    app.engine.dispose()  # the master keeps no connection open while it supervises
    WebServer(app, gunicorn_options(app.settings, port, workers), in_worker).run()

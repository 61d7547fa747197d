"""Running the Slack adapter: Socket Mode with an app token, else HTTP mode under uvicorn on HOST:PORT."""

from __future__ import annotations

import logging
import resource
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import slack_bolt
import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from adapters.slack.app import build_slack_app, stop_work
from adapters.slack.deadlines import HeaderDeadlineProtocol
from adapters.slack.web import EVENTS_PATH, HEALTH_PATH, build_web
from adapters.slack.web_config import WebConfig, stop_quietly_after_sigterm
from adapters.web import site_routes
from bot.app import App, build_app
from bot.config import Settings, load_settings

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


def start(app: App) -> Running:
    """Socket Mode (SLACK_APP_TOKEN): connect and return without blocking."""
    settings = app.settings
    if settings.slack_app_token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN; HTTP mode is served by serve_http")
    bolt = build_slack_app(app)
    return start_socket_mode(bolt, settings.slack_app_token.get_secret_value())


# --- HTTP mode: uvicorn ----------------------------------------------------------------------

GRACEFUL_SECONDS = 20  # on SIGTERM: requests in hand get this long, then are cancelled
HEADERS_MAX_BYTES = 16 * 1024  # a request head bigger than this is refused (400) before the app sees it
WORKER_WEB = "adapters.slack.server:worker_web"  # what each spawned worker process imports and calls
SPARE_FILES = 256  # the process's own files: the database, the find index, logs, Slack's API


def check_http(settings: Settings) -> None:
    if settings.slack_signing_secret is None or not settings.slack_signing_secret.get_secret_value():
        refuse(NO_SIGNING_SECRET)


def web_app(app: App) -> Starlette:
    """The ASGI app a web process serves: Slack's endpoints, the landing page and the private feeds."""
    return build_web(app, site_routes(app))


def web_config(settings: Settings, web: Starlette | str, workers: int) -> WebConfig:
    """uvicorn's settings: timeouts and limits from the environment, no access log, logging left to ours."""
    return WebConfig(
        web,
        factory=isinstance(web, str),
        http=HeaderDeadlineProtocol,
        header_timeout=settings.web_header_timeout,
        log_setup=(logging.getLogger().level, settings.log_format),
        lifespan="off",
        log_config=None,  # its loggers propagate to ours: one format (LOG_FORMAT=json included)
        access_log=False,  # /slack/oauth_redirect's query holds a one-time code
        workers=workers,
        limit_concurrency=open_files_for(settings.web_max_connections),
        timeout_keep_alive=5,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        timeout_worker_healthcheck=60,  # a spawned worker imports the bot and builds its app before it answers
        h11_max_incomplete_event_size=HEADERS_MAX_BYTES,
        server_header=False,
    )


def open_files_for(connections: int) -> int:
    """Raise the open-files limit to hold `connections` and the process's own files; the connections it holds.

    Past the limit uvicorn answers new requests 503; past the open-files limit it could not even
    accept them, so the first is kept below the second.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning(
            "the open-files limit (%d) holds %d connections, not WEB_MAX_CONNECTIONS=%d: raise `ulimit -n`",
            soft,
            soft - SPARE_FILES,
            connections,
        )
        return max(1, soft - SPARE_FILES)
    return connections


def bind(host: str, port: int) -> str:
    """HOST:PORT as a URL writes it, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound once here and shared by every worker process; exit 1 when it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        log.error("cannot listen on %s: %s", bind(host, port), error.strerror or error)
        raise SystemExit(1) from None
    sock.set_inheritable(True)
    return sock


def serve_http(app: App, in_worker: Callable[[], None] | None = None, workers: int | None = None) -> None:
    """Block serving HTTP mode on HOST:PORT until told to stop (SIGTERM, SIGINT).

    One worker (the default, and always when other parts run beside the web app) serves in this
    process; WEB_CONCURRENCY=N spawns N processes under uvicorn's supervisor, which restarts one
    that dies; each builds its own app (and find index) from the same settings.
    """
    settings = app.settings
    check_http(settings)
    count = workers or settings.web_concurrency
    sock = listen(settings.host, settings.port if settings.port is not None else DEFAULT_PORT)
    where = bind(*sock.getsockname()[:2])
    log.warning("papers-bot: Slack HTTP mode listening on http://%s (%s, %s)", where, EVENTS_PATH, HEALTH_PATH)
    if count > 1:
        app.engine.dispose()  # the supervisor keeps no connection open; each worker opens its own
        Multiprocess(web_config(settings, WORKER_WEB, count), sockets=[sock]).run()
        return
    threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    if in_worker is not None:
        in_worker()
    stop_quietly_after_sigterm()
    uvicorn.Server(web_config(settings, web_app(app), 1)).run(sockets=[sock])
    stop_work()  # the requests in hand were answered: work not started goes back to the inbox for the next process


def worker_web() -> Starlette:
    """In a worker process uvicorn spawned: the app from the environment's settings, and its find index warming."""
    settings = load_settings()
    app = build_app(settings, seed=False)  # the supervisor's process made the schema and the bundled papers
    threading.Thread(target=app.finder.warm, name="find-warm", daemon=True).start()
    return web_app(app)

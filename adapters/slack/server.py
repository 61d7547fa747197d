"""Running the Slack adapter: Socket Mode with an app token, else an HTTP server on PORT."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import slack_bolt
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import build_slack_app
from bot.app import App

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_PORT = 3000
MAX_BODY = 1 << 20  # Slack's payloads are a few KB; anything this big is not from Slack
NO_SIGNING_SECRET = ("Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials) "
                     "to verify that requests come from Slack, so papers-bot will not start without it.")


def make_handler(bolt: slack_bolt.App) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one bolt App: events, the OAuth pages and a health check."""
    oauth = bolt.oauth_flow

    class SlackRequestHandler(BaseHTTPRequestHandler):
        timeout = 30  # a client that stops sending must not hold a thread for ever
        server_version = "papers-bot"

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == HEALTH_PATH:
                self._send(200, {"Content-Type": ["text/plain; charset=utf-8"]}, "ok\n")
            elif oauth is not None and path == oauth.install_path:
                self._send_bolt(oauth.handle_installation(self._bolt_request("", query)))
            elif oauth is not None and path == oauth.redirect_uri_path:
                self._send_bolt(oauth.handle_callback(self._bolt_request("", query)))
            else:
                self._send(404, {}, "")

        def do_POST(self) -> None:
            path, _, query = self.path.partition("?")
            if path != EVENTS_PATH:
                self._send(404, {}, "")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._send(413 if length > MAX_BODY else 400, {}, "")
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            self._send_bolt(bolt.dispatch(self._bolt_request(body, query)))

        def _bolt_request(self, body: str, query: str) -> BoltRequest:
            headers = {name.lower(): self.headers.get_all(name) or [] for name in set(self.headers.keys())}
            return BoltRequest(body=body, query=query, headers=headers)

        def _send_bolt(self, response: BoltResponse) -> None:
            self._send(response.status, response.headers, response.body)

        def _send(self, status: int, headers: dict[str, list[str]] | dict, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            for name, values in headers.items():
                if name.lower() == "content-length":
                    continue
                for value in values if isinstance(values, (list, tuple)) else [values]:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            # The query string of /slack/oauth_redirect carries a one-time code: log the path only.
            log.debug("%s %s -> %s", self.command, self.path.partition("?")[0], args[1] if len(args) > 1 else "")

    return SlackRequestHandler


@dataclass
class Running:
    """A started adapter: `port` in HTTP mode, `stop()` to end it, `wait()` to block until it ends."""

    mode: str
    port: int | None
    stop: Callable[[], None]
    stopped: threading.Event

    def wait(self) -> None:
        self.stopped.wait()


def start_http(bolt: slack_bolt.App, port: int, host: str = "0.0.0.0") -> Running:
    """Serve the bolt App on host:port in background threads (port 0 picks a free one)."""
    server = ThreadingHTTPServer((host, port), make_handler(bolt))
    server.daemon_threads = True
    stopped = threading.Event()

    def run() -> None:
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            stopped.set()

    threading.Thread(target=run, name="slack-http", daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        stopped.set()

    bound = server.server_address[1]
    log.info("Slack HTTP mode on %s:%s (%s%s)", host, bound, EVENTS_PATH, ", OAuth install" if bolt.oauth_flow else "")
    return Running("http", int(bound), stop, stopped)


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


def refuse(message: str) -> None:
    """Exit with status 2 and one sentence, before anything else starts."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def start(app: App, *, host: str = "0.0.0.0", port: int | None = None,
          process_before_response: bool = False) -> Running:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on PORT; returns without blocking."""
    settings = app.settings
    if settings.slack_app_token is not None:
        bolt = build_slack_app(app, process_before_response=process_before_response)
        return start_socket_mode(bolt, settings.slack_app_token.get_secret_value())
    if settings.slack_signing_secret is None or not settings.slack_signing_secret.get_secret_value():
        refuse(NO_SIGNING_SECRET)
    bolt = build_slack_app(app, process_before_response=process_before_response)
    chosen = port if port is not None else settings.port if settings.port is not None else DEFAULT_PORT
    return start_http(bolt, chosen, host)


def serve(app: App) -> None:
    """`papers-bot run` with Slack configured: start, then block until interrupted."""
    running = start(app)
    try:
        running.wait()
    except KeyboardInterrupt:
        log.info("stopping Slack %s mode", running.mode)
    finally:
        running.stop()

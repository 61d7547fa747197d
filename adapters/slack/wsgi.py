"""The Slack HTTP endpoints as one WSGI app: bolt's own WSGI adapter behind a screen, and a health check."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

import slack_bolt
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from adapters.slack.shapes import shape_problem

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # Slack's payloads are a few KB; anything this big is not from Slack
PLAIN = [("Content-Type", "text/plain; charset=utf-8")]
StartResponse = Callable[..., Any]


def _answer(
    start_response: StartResponse,
    status: str,
    body: str = "",
    head: bool = False,
    headers: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    data = body.encode()
    start_response(status, PLAIN + (headers or []) + [("Content-Length", str(len(data)))])
    return [] if head else [data]


class SlackWeb:
    """`/slack/events` (and the OAuth pages) through bolt's SlackRequestHandler; `/healthz` says whether the database answers.

    Before bolt sees a POST, the screen answers what bolt would turn into a 500 or a dropped
    connection: a body that is too big or not UTF-8 (400/413), a timestamp that is not a number
    or a signature that does not match (401), a signed body bolt cannot parse or would trip over (400).
    """

    def __init__(self, bolt: slack_bolt.App, engine: Engine, signing_secret: str) -> None:
        self.bolt, self.engine = bolt, engine
        self.handler = SlackRequestHandler(bolt, path=EVENTS_PATH)
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _answer(start_response, "405 Method Not Allowed", headers=[("Allow", "GET, HEAD")])
            return self.health(start_response, head=method == "HEAD")
        if method == "POST" and path == EVENTS_PATH:
            refusal = self.screen(environ)
            if refusal:
                return _answer(start_response, refusal)
        return self.handler(environ, start_response)

    def health(self, start_response: StartResponse, head: bool) -> Iterable[bytes]:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as error:  # the reason goes to the log; the answer names no host or user
            log.warning("health check: the database did not answer: %s", type(error).__name__)
            return _answer(start_response, "503 Service Unavailable", "database unreachable\n", head)
        return _answer(start_response, "200 OK", "ok: database answered\n", head)

    def screen(self, environ: dict[str, Any]) -> str | None:
        """A status line to refuse the request with, or None; the body is put back for bolt to read."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return "400 Bad Request"
        if length > MAX_BODY:
            return "413 Content Too Large"
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "400 Bad Request"
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
            return "401 Unauthorized"
        if not self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "401 Unauthorized"  # bolt checks again; this one spares parsing a forged body
        try:
            parsed = BoltRequest(
                body=body,
                query=environ.get("QUERY_STRING", ""),
                headers={"content-type": environ.get("CONTENT_TYPE", "")},
            )
        except Exception as error:  # noqa: BLE001 signed, but not a body Slack sends: a payload that is not JSON, a list, too deep
            log.warning("refused a signed request bolt cannot parse: %s", type(error).__name__)
            return "400 Bad Request"
        if not isinstance(parsed.body, dict):
            return "400 Bad Request"
        problem = shape_problem(parsed.body)
        if problem:
            log.warning("refused a signed request bolt cannot read: %s", problem)
            return "400 Bad Request"
        return None

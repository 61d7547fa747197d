"""The web process's ASGI app: Slack's endpoints through bolt's Starlette adapter, behind the screen; /healthz; added routes.

A request's body is read on the event loop, whole, within a time limit and a size limit; only then
does a thread (one of `WEB_THREADS`) screen it and run bolt's synchronous dispatch. A client that
sends its body a byte at a time holds a coroutine, never a thread, and is answered 408 when its
time is up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import anyio
import slack_bolt
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.slack.app import build_slack_app
from adapters.slack.screen import MAX_BODY, screen
from bot.app import App

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
REASONS = {400: "Bad Request", 401: "Unauthorized", 408: "Request Timeout", 413: "Content Too Large"}
Answer = TypeVar("Answer")


class BodyRefused(Exception):
    """The body is not read to its end: too big, too slow, or its length is not a number."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The whole body, within `seconds` in all and `limit` bytes; else BodyRefused (413, 408, 400)."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise BodyRefused(400)
    if declared is not None and int(declared) > limit:
        raise BodyRefused(413)  # refused before a byte of it is read
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(413)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(408) from None
    return b"".join(chunks)


def refusal(status: int, close: bool = False) -> Response:
    # A body left unread cannot be skipped on a kept-alive connection: close it.
    headers = {"connection": "close"} if close else None
    return PlainTextResponse(f"{REASONS.get(status, 'Refused')}\n", status, headers=headers)


class SlackEndpoints:
    """`/slack/events`, the OAuth pages when OAuth is configured, and `/healthz`, as Starlette routes."""

    def __init__(
        self, bolt: slack_bolt.App, engine: Engine, signing_secret: str, threads: int, body_seconds: float
    ) -> None:
        self.bolt, self.engine, self.body_seconds = bolt, engine, body_seconds
        self.verifier = SignatureVerifier(signing_secret)
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(EVENTS_PATH, self.events, methods=["POST"]),
            Route(HEALTH_PATH, self.health, methods=["GET", "HEAD"]),
        ]
        flow = self.bolt.oauth_flow
        if flow is not None:
            routes.append(Route(flow.install_path, self.install, methods=["GET"]))
            routes.append(Route(flow.redirect_uri_path, self.oauth_redirect, methods=["GET"]))
        return routes

    async def in_thread(self, work: Callable[[], Answer]) -> Answer:
        """`work` on one of the `threads` threads: bolt and the database are synchronous."""
        if self._limiter is None:  # made in the event loop that serves, on first use
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(work, limiter=self._limiter)

    async def events(self, request: Request) -> Response:
        try:
            raw = await read_body(request, MAX_BODY, self.body_seconds)
        except BodyRefused as refused:
            if refused.status == 408:
                log.warning("refused a request whose body took more than %.0f s", self.body_seconds)
            return refusal(refused.status, close=refused.status != 400)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        return await self.in_thread(lambda: self.dispatch(request, raw))

    def dispatch(self, request: Request, raw: bytes) -> Response:
        refused = screen(self.verifier, raw, request.headers, request.url.query)
        if refused is not None:
            return refusal(refused)
        return to_starlette_response(self.bolt.dispatch(to_bolt_request(request, raw)))

    async def install(self, request: Request) -> Response:
        flow = self.bolt.oauth_flow
        assert flow is not None  # the route exists only with OAuth
        return await self.in_thread(
            lambda: to_starlette_response(flow.handle_installation(to_bolt_request(request, b"")))
        )

    async def oauth_redirect(self, request: Request) -> Response:
        flow = self.bolt.oauth_flow
        assert flow is not None
        return await self.in_thread(lambda: to_starlette_response(flow.handle_callback(to_bolt_request(request, b""))))

    async def health(self, request: Request) -> Response:
        # anyio's own threads, not bolt's: a busy bolt must not make the process look dead
        return await anyio.to_thread.run_sync(self.database_answers)

    def database_answers(self) -> Response:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as error:  # the reason goes to the log; the answer names no host or user
            log.warning("health check: the database did not answer: %s", type(error).__name__)
            return PlainTextResponse("database unreachable\n", 503)
        return PlainTextResponse("ok: database answered\n")


def slack_endpoints(app: App) -> SlackEndpoints:
    settings = app.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    return SlackEndpoints(build_slack_app(app), app.engine, secret, settings.web_threads, settings.web_body_timeout)


def build_web(app: App, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The app a web process serves: Slack's endpoints, then `extra_routes`; any other path is 404."""
    return Starlette(routes=[*slack_endpoints(app).routes(), *extra_routes])

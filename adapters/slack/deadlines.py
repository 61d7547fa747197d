"""A deadline for a request's headers, which uvicorn does not have: its h11 protocol, closing connections too slow to ask.

uvicorn arms no timer while a request's headers arrive, and its keep-alive timer is disarmed by
every byte received: a client sending a header byte every few seconds keeps its connection open
for ever. Each one costs only a file descriptor and a few KB here (no thread, no task), but they
count against `limit_concurrency`. So each connection gets `header_timeout` seconds from when it
opens (or from its previous answer, plus the keep-alive time) to finish its request's headers; past
that it is answered 408 and closed. Once the headers are in, the app's own body deadline applies
(a body the app never reads, as for a 404, has until the deadline after that answer).
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol whose connections must finish each request's headers in time."""

    header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_seconds())

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # kept alive: the next request's headers get the same time
            self._arm(self.timeout_keep_alive + self._header_seconds())

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _header_seconds(self) -> float:
        return float(getattr(self.config, "header_timeout", 5.0))  # server.WebConfig's

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.header_deadline = self.loop.call_later(seconds, self._deadline_passed)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def nothing_in_hand(self) -> bool:
        """No request being answered: the client has not finished the head of the next one, or sent nothing,
        or is still sending the body of one already answered (a 404 does not read it)."""
        return self.cycle is None or self.cycle.response_complete

    def _deadline_passed(self) -> None:
        self.header_deadline = None
        if self.transport.is_closing() or not self.nothing_in_hand():
            return
        log.debug("closed a connection whose request headers took too long")
        self.transport.write(TOO_SLOW)
        self.transport.close()

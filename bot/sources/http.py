"""Polite HTTP for sources: a User-Agent with a contact, per-site pacing, bounded retries with backoff."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from bot.errors import PapersError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RATELIMIT_RESET = re.compile(r"(?:^|[;,\s])(?:t|reset)=(\d+(?:\.\d+)?)")


class SourceFailing(PapersError):
    """A source that still fails after the retry bound (or asks us to wait longer than we will)."""

    def __init__(self, message: str, source: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.retry_after = retry_after


class Pacer:
    """Keeps requests that share a key at least `interval` seconds apart, across threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def wait(self, key: str, interval: float) -> None:
        """Block until a request under `key` is allowed, and claim that moment for it."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one lock per key: pacing arXiv never holds up Hugging Face
            last = self._last.get(key)
            if last is not None:
                pause = last + interval - self.clock()
                if pause > 0:
                    self.sleep(pause)
            self._last[key] = self.clock()


# The process-wide pacer: every PoliteHTTP with the real clock shares it, so that two clients
# (a scheduled job and a `find` lookup) still keep arXiv's 3 s between them.
PROCESS_PACER = Pacer()


class PoliteHTTP:
    """GET with one httpx.Client per host, pacing per key, and retries on 429/5xx/timeouts."""

    def __init__(
        self,
        contact: str = "papers-bot@example.org",
        *,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.user_agent = f"papers-bot/0.1 (+mailto:{contact})"
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self.sleep = sleep or time.sleep
        self.pacer = PROCESS_PACER if sleep is None and clock is None else Pacer(clock or time.monotonic, self.sleep)
        self.transport = transport
        self._clients: dict[str, httpx.Client] = {}
        self._guard = threading.Lock()

    def client(self, host: str) -> httpx.Client:
        with self._guard:
            client = self._clients.get(host)
            if client is None:
                client = self._clients[host] = httpx.Client(
                    headers={"User-Agent": self.user_agent},
                    timeout=self.timeout,
                    follow_redirects=True,
                    limits=httpx.Limits(max_connections=1),  # one connection per host
                    transport=self.transport,
                )
            return client

    def get(
        self,
        url: str,
        params: Mapping[str, object] | None = None,
        *,
        pace: str | None = None,
        min_interval: float = 0.0,
        source: str = "",
    ) -> httpx.Response:
        """The response (any status but 429/5xx); raises SourceFailing once the retry bound is reached."""
        host = urlsplit(url).netloc
        source = source or pace or host
        client = self.client(host)
        for attempt in range(1, self.attempts + 1):
            self.pacer.wait(pace or host, min_interval)
            try:
                response = client.get(url, params=params)  # type: ignore[arg-type]
            except httpx.TimeoutException as error:
                failure, wait = f"timed out ({type(error).__name__})", None
            except httpx.TransportError as error:
                failure, wait = f"connection failed ({error})", None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                failure = f"answered {response.status_code}"
                wait = server_wait(response.headers, rate_limited=response.status_code == 429)
            if wait is not None and wait > self.max_wait:
                raise SourceFailing(f"{source}: {failure}, and asks us to wait {wait:.0f} s", source, wait)
            if attempt == self.attempts:
                break
            delay = wait if wait is not None else min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
            log.warning("%s %s; retry %d of %d in %.1f s", source, failure, attempt, self.attempts - 1, delay)
            self.sleep(delay)
        raise SourceFailing(f"{source}: {failure} after {self.attempts} attempts", source, wait)

    def close(self) -> None:
        with self._guard:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def __enter__(self) -> PoliteHTTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def server_wait(headers: httpx.Headers, rate_limited: bool = True) -> float | None:
    """Seconds the server asks us to wait: Retry-After (seconds or a date), or, on a 429,
    the reset of the exhausted RateLimit window (`RateLimit-Reset`, or `t=`/`reset=` in `RateLimit`)."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, (moment - datetime.now(UTC)).total_seconds())
    if not rate_limited:
        return None  # a 5xx with RateLimit headers is not a request to wait for the window
    reset = headers.get("ratelimit-reset")
    if reset and reset.strip().replace(".", "", 1).isdigit():
        return float(reset)
    match = _RATELIMIT_RESET.search(headers.get("ratelimit", ""))  # `"api";r=0;t=42` (HF, IETF draft)
    return float(match.group(1)) if match else None

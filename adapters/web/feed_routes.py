"""Private feeds over HTTP: `/feeds/<token>` (page), `.atom` and `.json`, with ETag, Last-Modified and 304s."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.web.feed_formats import FeedUrls, atom, json_feed
from adapters.web.kept import InFlight, Kept
from adapters.web.pages import TEMPLATES
from bot.app import App
from bot.delivery.private_feed import FEED_DAYS, Feed, FeedState, feed_state, read_feed, token_hash

CACHE = "private, max-age=300"  # a reader may reuse it for 5 minutes; no shared cache may keep a private feed
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
MAX_QUERY = 200
NOT_FOUND = "No such feed: the link is mistyped, or it was revoked with /papers feed reset."
KEPT_BODIES = 256  # rendered answers kept per process: a feed changes once a day, its readers poll all day
KEPT_STATES = 10_000  # tokens whose state a process remembers (about 3 MB)
# A reader's poll within this many seconds of another one for the same token is answered from the process's memory,
# without the database: a new post, or a revocation by /papers feed reset, shows within a second.
STATE_FOR = 1.0


class FeedRoutes:
    """The three views of one feed; an unknown or revoked token is a 404 after one primary-key read.

    The endpoints run on the event loop and hand only database reads and renders to threads: a poll answered
    from memory costs no thread hop at all."""

    def __init__(self, app: App, state_for: float = STATE_FOR, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.states: Kept[str, FeedState] = Kept(KEPT_STATES, state_for, clock)
        self.bodies: Kept[tuple[str, str, str], bytes] = Kept(KEPT_BODIES)  # a version's body never changes
        self.reading: InFlight[str, FeedState | None] = InFlight()
        self.rendering: InFlight[tuple[str, str, str], bytes] = InFlight()

    async def atom(self, request: Request) -> Response:
        return await self._answer(request, "atom", ATOM, lambda feed, urls: atom(feed, urls, TEMPLATES.env))

    async def json(self, request: Request) -> Response:
        def render(feed: Feed, urls: FeedUrls) -> bytes:
            return json.dumps(json_feed(feed, urls, TEMPLATES.env), ensure_ascii=False).encode()

        return await self._answer(request, "json", JSON_FEED, render)

    async def page(self, request: Request) -> Response:
        query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]

        def render(feed: Feed, urls: FeedUrls) -> bytes:
            items = feed.matching(query) if query else feed.items
            context = {"feed": feed, "items": items, "q": query, "urls": urls, "days": FEED_DAYS}
            return TEMPLATES.get_template("feed.html").render(context).encode()

        return await self._answer(request, "page:" + query, "text/html; charset=utf-8", render)

    async def _answer(
        self, request: Request, view: str, media: str, render: Callable[[Feed, FeedUrls], bytes]
    ) -> Response:
        token, now = request.path_params["token"], self.app.service.clock()
        state = self.states.get(token) or await self.reading.run(token, lambda: feed_state(self.app.engine, token, now))
        if state is None:
            return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
        self.states.put(token, state)
        tag = f'W/"{state.version}-{token_hash(view)[:8]}"'
        headers = {
            "ETag": tag,
            "Last-Modified": format_datetime(state.updated.replace(microsecond=0), usegmt=True),
            "Cache-Control": CACHE,
            "X-Robots-Tag": "noindex, nofollow",
        }
        if not_modified(request, tag, state.updated):
            return Response(status_code=304, headers=headers)
        urls = self._urls(request, token)
        key = (urls.key, state.version, view + urls.page)
        body = self.bodies.get(key)
        if body is None:
            body = self.bodies.put(key, await self.rendering.run(key, lambda: self._render(state, now, render, urls)))
        return Response(body, media_type=media, headers=headers)

    def _render(
        self, state: FeedState, now: datetime, render: Callable[[Feed, FeedUrls], bytes], urls: FeedUrls
    ) -> bytes:
        return render(read_feed(self.app.engine, self.app.taxonomy, state, now), urls)

    def _urls(self, request: Request, token: str) -> FeedUrls:
        base = (self.app.settings.public_url or str(request.base_url)).rstrip("/")
        page = f"{base}/feeds/{token}"
        return FeedUrls(page, page + ".atom", page + ".json", key=token_hash(token))


def not_modified(request: Request, tag: str, updated: datetime) -> bool:
    """RFC 9110: If-None-Match decides when it is sent; else If-Modified-Since, to the second."""
    match = request.headers.get("if-none-match")
    if match is not None:
        return match.strip() == "*" or tag in (part.strip() for part in match.split(","))
    since = request.headers.get("if-modified-since")
    if not since:
        return False
    try:
        return updated.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):  # a date we cannot read is as if none was sent
        return False

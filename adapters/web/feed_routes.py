"""Private feeds over HTTP: `/feeds/<token>` (page), `.atom` and `.json`, with ETag, Last-Modified and 304s."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.web.feed_formats import FeedUrls, atom, json_feed
from adapters.web.pages import TEMPLATES
from bot.app import App
from bot.delivery.private_feed import FEED_DAYS, Feed, feed_state, read_feed, token_hash

CACHE = "private, max-age=300"  # a reader may reuse it for 5 minutes; no shared cache may keep a private feed
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
MAX_QUERY = 200
NOT_FOUND = "No such feed: the link is mistyped, or it was revoked with /papers feed reset."
KEPT_BODIES = 256  # rendered answers kept per process: a feed changes once a day, its readers poll all day


class Bodies:
    """Rendered answers by (token hash, feed version, view): a feed is read from the database and rendered once
    per version, not once per reader. Keyed by the token's hash because a body holds the token's own URLs."""

    def __init__(self, size: int = KEPT_BODIES) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self.lock = threading.Lock()  # endpoints run in the server's thread pool

    def get(self, key: tuple[str, str, str], make: Callable[[], bytes]) -> bytes:
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        body = make()  # outside the lock: two threads may both render a new version, once each
        with self.lock:
            self.kept[key] = body
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return body


class FeedRoutes:
    """The three views of one feed; an unknown or revoked token is a 404 after one primary-key read."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.bodies = Bodies()

    def atom(self, request: Request) -> Response:
        return self._answer(request, "atom", ATOM, lambda feed, urls: atom(feed, urls, TEMPLATES.env))

    def json(self, request: Request) -> Response:
        def render(feed: Feed, urls: FeedUrls) -> bytes:
            return json.dumps(json_feed(feed, urls, TEMPLATES.env), ensure_ascii=False).encode()

        return self._answer(request, "json", JSON_FEED, render)

    def page(self, request: Request) -> Response:
        query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]

        def render(feed: Feed, urls: FeedUrls) -> bytes:
            items = feed.matching(query) if query else feed.items
            context = {"feed": feed, "items": items, "q": query, "urls": urls, "days": FEED_DAYS}
            return TEMPLATES.get_template("feed.html").render(context).encode()

        return self._answer(request, "page:" + query, "text/html; charset=utf-8", render)

    def _answer(self, request: Request, view: str, media: str, render: Callable[[Feed, FeedUrls], bytes]) -> Response:
        token, now = request.path_params["token"], self.app.service.clock()
        state = feed_state(self.app.engine, token, now)
        if state is None:
            return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
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
        body = self.bodies.get(
            (urls.key, state.version, view + urls.page),
            lambda: render(read_feed(self.app.engine, self.app.taxonomy, state, now), urls),
        )
        return Response(body, media_type=media, headers=headers)

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

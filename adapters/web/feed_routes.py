"""Private feeds over HTTP: `/feeds/<token>` (page), `.atom` and `.json`, with ETag, Last-Modified and 304s."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.web.feed_formats import FeedUrls, atom, json_feed, links
from adapters.web.pages import TEMPLATES
from bot.app import App
from bot.delivery.private_feed import FEED_DAYS, Feed, read_feed, token_hash

CACHE = "private, max-age=300"  # a reader may reuse it for 5 minutes; no shared cache may keep a private feed
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
MAX_QUERY = 200
NOT_FOUND = "No such feed: the link is mistyped, or it was revoked with /papers feed reset."


class FeedRoutes:
    """The three views of one feed; an unknown or revoked token is a 404 after one primary-key read."""

    def __init__(self, app: App) -> None:
        self.app = app

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
            context = {"feed": feed, "items": items, "q": query, "urls": urls, "days": FEED_DAYS, "links": links}
            return TEMPLATES.get_template("feed.html").render(context).encode()

        return self._answer(request, "page:" + query, "text/html; charset=utf-8", render)

    def _answer(self, request: Request, view: str, media: str, render: Callable[[Feed, FeedUrls], bytes]) -> Response:
        token = request.path_params["token"]
        feed = read_feed(self.app.engine, self.app.taxonomy, token, self.app.service.clock())
        if feed is None:
            return PlainTextResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
        tag = f'W/"{feed.version}-{token_hash(view)[:8]}"'
        headers = {
            "ETag": tag,
            "Last-Modified": format_datetime(feed.updated.replace(microsecond=0), usegmt=True),
            "Cache-Control": CACHE,
            "X-Robots-Tag": "noindex, nofollow",
        }
        if not_modified(request, tag, feed.updated):
            return Response(status_code=304, headers=headers)
        return Response(render(feed, self._urls(request, token)), media_type=media, headers=headers)

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

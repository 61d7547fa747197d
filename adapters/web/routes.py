"""The site's routes, for the web process to mount: `site_routes(app)`."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.routing import BaseRoute, Route

from adapters.web.feed_routes import STATE_FOR, FeedRoutes
from adapters.web.pages import Pages
from adapters.web.security import secured
from bot.app import App


def site_routes(
    app: App, feed_state_for: float = STATE_FOR, clock: Callable[[], float] = time.monotonic
) -> list[BaseRoute]:
    """`/`, `/privacy`, `/robots.txt`, `/static/<file>` and the private feeds, every page with the security headers.

    The web process mounts them beside `/slack/...` and `/healthz`; they need only the app's engine and settings.
    `feed_state_for`: seconds a token's state is reused (0 reads it for every request)."""
    pages, feeds = Pages(app), FeedRoutes(app, feed_state_for, clock)
    return [
        Route("/", secured(pages.landing), name="landing"),
        Route("/privacy", secured(pages.privacy), name="privacy"),
        Route("/robots.txt", secured(pages.robots), name="robots"),
        Route("/static/{name}", secured(pages.static), name="static"),
        Route("/feeds/{token}.atom", secured(feeds.atom), name="feed_atom"),
        Route("/feeds/{token}.json", secured(feeds.json), name="feed_json"),
        Route("/feeds/{token}", secured(feeds.page), name="feed_page"),
    ]

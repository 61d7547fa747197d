"""The site's routes, for the web process to mount: `site_routes(app)`."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from adapters.web.feed_routes import FeedRoutes
from adapters.web.pages import Pages
from adapters.web.security import secured
from bot.app import App


def site_routes(app: App) -> list[BaseRoute]:
    """`/`, `/privacy`, `/robots.txt`, `/static/<file>` and the private feeds, every page with the security headers.

    The web process mounts them beside `/slack/...` and `/healthz`; they need only the app's engine and settings."""
    pages, feeds = Pages(app), FeedRoutes(app)
    return [
        Route("/", secured(pages.landing), name="landing"),
        Route("/privacy", secured(pages.privacy), name="privacy"),
        Route("/robots.txt", secured(pages.robots), name="robots"),
        Route("/static/{name}", secured(pages.static), name="static"),
        Route("/feeds/{token}.atom", secured(feeds.atom), name="feed_atom"),
        Route("/feeds/{token}.json", secured(feeds.json), name="feed_json"),
        Route("/feeds/{token}", secured(feeds.page), name="feed_page"),
    ]

"""The landing page, the privacy note, robots.txt and the two static files every page uses."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from adapters.web.feed_formats import links
from adapters.web.install_links import DISCORD_NEEDS, discord_install_url, slack_install_url
from bot.app import App
from bot.chat.help_text import USAGE

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")  # autoescaped: every value a page shows is escaped
TEMPLATES.env.globals["links"] = links  # a paper's links, http(s) only, in the page as in the feeds
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
ROBOTS = "User-agent: *\nDisallow: /feeds/\n"  # private feeds stay out of search engines (their pages say noindex too)


class StaticFile:
    """One of our own small files, read once; served with a hash ETag and a day of caching."""

    def __init__(self, path: Path) -> None:
        self.body = path.read_bytes()
        self.media_type = STATIC_TYPES[path.suffix]
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


STATIC = {path.name: StaticFile(path) for path in (HERE / "static").iterdir() if path.suffix in STATIC_TYPES}


class Pages:
    """The site's pages other than feeds, built from the app's settings."""

    def __init__(self, app: App) -> None:
        self.settings = app.settings

    async def landing(self, request: Request) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "landing.html",
            {
                "slack_install": slack_install_url(self.settings),
                "discord_install": discord_install_url(self.settings),
                "commands": list(USAGE.values()),
            },
        )

    async def privacy(self, request: Request) -> Response:
        return TEMPLATES.TemplateResponse(request, "privacy.html", {"discord_needs": DISCORD_NEEDS})

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse(ROBOTS)

    async def static(self, request: Request) -> Response:
        found = STATIC.get(request.path_params["name"])
        if found is None:
            return PlainTextResponse("Not found.", status_code=404)
        headers = {"ETag": found.etag, "Cache-Control": "public, max-age=86400"}
        if request.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

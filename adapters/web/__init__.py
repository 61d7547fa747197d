"""The bot's web pages: the landing page, the privacy note, private feeds (page, Atom, JSON Feed), robots.txt."""

from adapters.web.routes import site_routes

__all__ = ["site_routes"]

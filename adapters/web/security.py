"""The headers every page carries: no inline script, no framing, no sniffing, no referrer (a feed URL is a secret)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

# Scripts and styles come from our own files only; nothing is loaded from anywhere else.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # A feed page's URL holds its token: a click on an arXiv link must not send it along.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Endpoint = Callable[[Request], Awaitable[Response]]


def secured(endpoint: Endpoint) -> Endpoint:
    """The endpoint with the security headers on every response it gives (a 404 too)."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        response = await endpoint(request)
        response.headers.update(HEADERS)
        return response

    return wrapped

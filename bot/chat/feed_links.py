"""`/papers feed [reset] [for me]`: a private URL of a channel's (or person's) posts, answered to the asker alone."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.chat import commands as c
from bot.chat import feeds
from bot.chat import replies as r
from bot.delivery.private_feed import new_token, token_hash
from bot.domain import Actor, ChannelRef
from bot.errors import PapersError

if TYPE_CHECKING:
    from bot.chat.service import Service

NO_PUBLIC_URL = (
    "Feeds need the address the bot's web pages are served at: whoever runs papers-bot must set PUBLIC_URL "
    "(for example https://papers.example.org)."
)


class FeedsOff(PapersError):
    """PUBLIC_URL is not set: there is no address to give."""


def feed(service: Service, channel: ChannelRef, actor: Actor, command: c.FeedUrl) -> r.Reply:
    """A new private URL for the asker; `reset` first revokes the asker's older ones for this feed. Every ask gets a
    working link: only a hash of each token is kept, so an older one can never be shown again."""
    base = (service.public_url or "").rstrip("/")
    if not base:
        raise FeedsOff(NO_PUBLIC_URL)
    now = service.clock()
    token = new_token()
    with service.uow() as uow:
        revoked = uow.feed_tokens.revoke(str(channel), actor.id, now) if command.reset else 0
        uow.feed_tokens.add(token_hash(token), str(channel), actor.id, now)
        uow.commit()
    page = f"{base}/feeds/{token}"
    link = r.FeedLink(page, page + ".atom", page + ".json", revoked=revoked)
    return replace(link, where=feeds.where(channel))

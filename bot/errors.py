"""The one error family of papers-bot: each error carries what a reply needs to explain it."""

from __future__ import annotations


def echo(typed: str, limit: int = 40) -> str:
    """What someone typed, quoted back in a refusal: one short line, whatever they sent."""
    text = " ".join(str(typed).replace("`", "'").split())
    return f"`{text[: limit - 1]}…`" if len(text) > limit else f"`{text}`"


class PapersError(Exception):
    """Something the user (or a source) did that the bot can explain in one sentence."""

    usage: str | None = None  # the command whose usage line should follow, when known

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if usage is not None:
            self.usage = usage


class BadCommand(PapersError):
    """The chat text did not parse as a `/papers` command."""


class BadQuery(PapersError):
    """A subscription query that cannot be understood."""


class UnknownTopic(BadQuery):
    """A topic slug that is not in the taxonomy; carries the closest slugs."""

    def __init__(self, slug: str, suggestions: list[str]) -> None:
        # One suggestion reads as an answer; a list reads as homework (`/papers topics` lists them).
        hint = f" Did you mean {suggestions[0]}?" if suggestions else " /papers topics lists them."
        super().__init__(f"I don't know the topic {echo(slug)}.{hint}", usage="subscribe")
        self.slug = slug
        self.suggestions = suggestions


class BadSchedule(PapersError):
    """A time, time zone or cadence that cannot be used."""


class BadChannel(PapersError):
    """A CHANNEL argument that is not `terminal:NAME`, `slack:TEAM:CHANNEL` or `discord:GUILD:CHANNEL`."""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"{echo(text)} is not a channel; use terminal:NAME, slack:TEAM_ID:CHANNEL_ID "
            "or discord:GUILD_ID:CHANNEL_ID."
        )
        self.text = text


class NotAllowed(PapersError):
    """The user may not change this channel's subscriptions or schedule."""


class LimitReached(PapersError):
    """A limit (subscriptions per channel, commands per minute, query length) was hit."""


class BadInput(PapersError):
    """A file or payload that cannot be ingested, with where and why."""


class SendFailed(PapersError):
    """A platform refused or failed a post; `permanent` means retrying will not help."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after

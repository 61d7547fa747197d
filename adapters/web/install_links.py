"""Where the landing page's Add to Slack and Add to Discord buttons go, and what Discord is asked to allow."""

from __future__ import annotations

from urllib.parse import urlencode

import discord

from bot.config import Settings

SLACK_INSTALL_PATH = "/slack/install"  # the OAuth install path adapters/slack serves when OAuth is configured
DISCORD_AUTHORIZE = "https://discord.com/oauth2/authorize"
DISCORD_SCOPES = ("bot", "applications.commands")

# What the bot does in a Discord channel, and the permission each needs: nothing more is asked for.
DISCORD_NEEDS = {
    "view_channel": "see the channel it posts to",
    "send_messages": "post the papers and answer commands",
    "embed_links": "show each paper as a card",
    "create_public_threads": "put a long post's overflow in a thread under it",
    "send_messages_in_threads": "post into that thread",
    "read_message_history": "find its own earlier post after a restart, so nothing is posted twice",
}


def discord_permissions() -> int:
    """The permissions integer of the install URL, computed from DISCORD_NEEDS."""
    return discord.Permissions(**dict.fromkeys(DISCORD_NEEDS, True)).value


def discord_install_url(settings: Settings) -> str | None:
    """The bot's Discord install URL (bot and slash commands, the permissions it needs); None without its id."""
    if settings.discord_client_id is None:
        return None
    query = {
        "client_id": str(settings.discord_client_id),
        "scope": " ".join(DISCORD_SCOPES),
        "permissions": str(discord_permissions()),
    }
    return f"{DISCORD_AUTHORIZE}?{urlencode(query)}"


def slack_install_url(settings: Settings) -> str | None:
    """The OAuth install path when the bot is set up for many workspaces (SLACK_CLIENT_ID and SECRET); else None."""
    return SLACK_INSTALL_PATH if settings.slack_uses_oauth else None

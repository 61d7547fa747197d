"""Command sync only when the command tree changed: its hash is kept in a file beside the database."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import discord
from discord import app_commands
from sqlalchemy import Engine

from storage.engine import file_beside

log = logging.getLogger(__name__)


def hash_file(engine: Engine) -> Path | None:
    """Beside a SQLite file; for a server, in the user cache folder under a hash of the URL (no password)."""
    return file_beside(engine, "discord-commands", ".json")


def scope_of(client: discord.Client, guild_id: int | None) -> str:
    return f"{client.application_id}:{f'guild:{guild_id}' if guild_id else 'global'}"


def tree_hash(tree: app_commands.CommandTree, guild_id: int | None) -> str:
    """What Discord would be sent: every command as JSON, in a stable order."""
    guild = discord.Object(id=guild_id) if guild_id else None
    commands = sorted((command.to_dict(tree) for command in tree.get_commands(guild=guild)), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(commands, sort_keys=True, default=str).encode()).hexdigest()


def _stored(path: Path | None) -> dict[str, str]:
    try:
        return json.loads(path.read_text()) if path else {}
    except (OSError, ValueError):
        return {}


async def sync_commands(client: discord.Client, guild_id: int | None, path: Path | None, force: bool = False) -> bool:
    """Sync the commands of one guild (development) or the global ones, unless the stored hash says Discord
    has them; True if synced. `adapters.discord.app.build_client` registers them in that scope."""
    tree: app_commands.CommandTree = client.tree  # type: ignore[attr-defined]
    guild = discord.Object(id=guild_id) if guild_id else None  # the client registered its commands there
    scope, digest = scope_of(client, guild_id), tree_hash(tree, guild_id)
    stored = _stored(path)
    if not force and stored.get(scope) == digest:
        log.info("commands unchanged since the last sync (%s); not syncing", scope)
        return False
    synced = await tree.sync(guild=guild)
    log.info("synced %d command(s) %s", len(synced), f"to guild {guild_id}" if guild_id else "globally")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(stored | {scope: digest}, indent=1))
        except OSError:  # the next start syncs again: slower, never wrong
            log.warning("could not write %s", path, exc_info=True)
    return True

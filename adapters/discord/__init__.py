"""Discord through discord.py: slash commands, embeds and views, and the sender of digests."""

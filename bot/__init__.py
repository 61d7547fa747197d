"""papers-bot core: platform-neutral behaviour."""

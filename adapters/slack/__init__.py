"""Slack through slack-bolt: commands and events in, Block Kit out, installations, the sender and the server."""

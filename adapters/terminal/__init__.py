"""The terminal channel: a prompt on stdin, replies and digests rendered as plain text."""

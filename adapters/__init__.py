"""The outer ring: platform adapters that translate, and the wiring and command line that start them.

`slack/`, `discord/` and `terminal/` turn platform events into Commands and Replies into messages;
`wiring` picks senders and starts adapters; `cli` is the `papers-bot` command line.
"""

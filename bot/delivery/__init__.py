"""Delivery: digests, schedules, the scheduler's tick, the senders' contract and the delivery pass.

Imports `bot.relevance` (matching) and `storage/` (outbox, channels); senders are passed in by the wiring.
"""

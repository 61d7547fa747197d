"""Relevance: the topic taxonomy, each paper's topic evidence, the query language and matching.

Imports only `bot.domain`, `bot.errors` and its own modules; it never touches the database.
"""

"""Persistence: SQLModel tables, engine, repositories, full-text search."""

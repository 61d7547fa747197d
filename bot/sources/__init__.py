"""Sources: files, Hugging Face daily papers and arXiv parsed into `Paper`s, and ingest into storage.

Imports `bot.domain`, `bot.errors`, `bot.config` and `storage/`; the parsers below are its public face.
Each is imported when first asked for: httpx and feedparser cost every command a fifth of a second,
and most commands (reading the bundled JSONL papers included) need neither.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sources.arxiv import parse_arxiv_atom, parse_arxiv_rss
    from bot.sources.arxiv_client import ArxivClient, announces_today, last_announcement, rss_has_announcements
    from bot.sources.files import parse_file, read_file
    from bot.sources.hf import HFClient, parse_hf_daily
    from bot.sources.http import PoliteHTTP, SourceFailing
    from bot.sources.jsonl import parse_jsonl
    from bot.sources.parsed import Parsed

_MODULE = {
    "ArxivClient": "arxiv_client",
    "HFClient": "hf",
    "Parsed": "parsed",
    "PoliteHTTP": "http",
    "SourceFailing": "http",
    "announces_today": "arxiv_client",
    "last_announcement": "arxiv_client",
    "parse_arxiv_atom": "arxiv",
    "parse_arxiv_rss": "arxiv",
    "parse_file": "files",
    "parse_hf_daily": "hf",
    "parse_jsonl": "jsonl",
    "read_file": "files",
    "rss_has_announcements": "arxiv_client",
}
__all__ = [
    "ArxivClient",
    "HFClient",
    "Parsed",
    "PoliteHTTP",
    "SourceFailing",
    "announces_today",
    "last_announcement",
    "parse_arxiv_atom",
    "parse_arxiv_rss",
    "parse_file",
    "parse_hf_daily",
    "parse_jsonl",
    "read_file",
    "rss_has_announcements",
]


def __getattr__(name: str) -> object:
    if name not in _MODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_MODULE[name]}"), name)

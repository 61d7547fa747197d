"""Sources: files, Hugging Face daily papers and arXiv parsed into `Paper`s, and ingest into storage.

Imports `bot.domain`, `bot.errors`, `bot.config` and `storage/`; the parsers below are its public face.
"""

from bot.sources.arxiv import parse_arxiv_atom, parse_arxiv_rss
from bot.sources.arxiv_client import ArxivClient, announces_today, last_announcement, rss_has_announcements
from bot.sources.files import parse_file, read_file
from bot.sources.hf import HFClient, parse_hf_daily
from bot.sources.http import PoliteHTTP, SourceFailing
from bot.sources.jsonl import parse_jsonl
from bot.sources.parsed import Parsed

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

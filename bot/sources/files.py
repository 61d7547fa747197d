"""Reading a file of papers whatever it holds: JSONL, saved HF daily JSON, arXiv Atom or RSS, a feedparser dump."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from bot.errors import BadInput
from bot.sources.jsonl import BATCH, jsonl_parts, parse_jsonl
from bot.sources.parsed import Parsed

log = logging.getLogger(__name__)

JSONL_SUFFIXES = (".jsonl", ".ndjson")
SNIFF_BYTES = 4096
KINDS = "JSONL, Hugging Face daily JSON, arXiv Atom or RSS XML, or a feedparser JSON dump"


def parse_file(path: Path) -> Parsed:
    """Papers from one file, its format detected from its content; BadInput if it cannot be read at all."""
    whole = Parsed()
    for part in read_file(path):
        whole.extend(part)
    return whole


def read_file(path: Path, size: int = BATCH) -> Iterator[Parsed]:
    """The papers of one file in parts of about `size`: JSONL is streamed, a file never held whole.

    Raises BadInput when the file cannot be read, or is of no kind it knows.
    """
    path = Path(path)
    try:
        file = path.open("rb")
    except OSError as error:
        raise BadInput(f"{path}: cannot read it ({error.strerror or error})") from None
    with file:
        try:
            head = file.read(SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
            if path.suffix.lower() in JSONL_SUFFIXES or _looks_like_jsonl(head):
                file.seek(0)
                yield from jsonl_parts(file, size)
                return
            data = head + file.read() if head else b""
        except OSError as error:
            raise BadInput(f"{path}: cannot read it ({error.strerror or error})") from None
    try:
        yield _parse_whole(data)
    except BadInput as error:
        raise BadInput(f"{path}: {error.message}") from None


def _looks_like_jsonl(head: bytes) -> bool:
    """A first line that is a whole JSON object with more lines after it."""
    first, newline, rest = head.partition(b"\n")
    if not first.startswith(b"{") or not newline or not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        return False


def _parse_whole(data: bytes) -> Parsed:
    # Here, not at the top: feedparser and httpx are not needed to read JSONL (the bundled papers at start).
    from bot.sources.arxiv import parse_arxiv_atom, parse_arxiv_rss
    from bot.sources.hf import parse_hf_daily

    if not data.strip():
        raise BadInput("the file is empty")
    if data.startswith(b"<"):
        head = data[:SNIFF_BYTES]
        if b"<feed" in head:
            return parse_arxiv_atom(data)
        if b"<rss" in head or b"<rdf:RDF" in head:
            return parse_arxiv_rss(data)
        raise BadInput(f"an XML file that is neither Atom nor RSS; expected {KINDS}")
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than Python recurses
        raise BadInput(f"not valid JSON ({str(error)[:80]}); expected {KINDS}") from None
    if isinstance(decoded, list):
        if decoded and all(isinstance(item, dict) and "paper" not in item for item in decoded):
            return parse_jsonl(json.dumps(item) for item in decoded)  # a JSON array of JSONL records
        return parse_hf_daily(decoded)
    if isinstance(decoded, dict):
        if isinstance(decoded.get("body"), str) and decoded["body"].lstrip().startswith("<"):
            return _parse_whole(decoded["body"].encode())  # a recorded response: {"url", "status_code", "body"}
        if "entries" in decoded or any(isinstance(v, dict) and "entries" in v for v in decoded.values()):
            return parse_arxiv_rss(decoded)
        if "title" in decoded:
            return parse_jsonl([json.dumps(decoded)])
    raise BadInput(f"JSON of an unknown shape; expected {KINDS}")

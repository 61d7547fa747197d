"""The JSONL paper format of DESIGN.md (one paper a line), including the arXiv corpus and seed variants."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator

from bot.domain import Paper
from bot.sources.limits import Refused
from bot.sources.parsed import Parsed, arxiv_id, arxiv_id_in, clean_names, clean_text, parse_time

log = logging.getLogger(__name__)

_URL_FIELDS = ("code_url", "project_url", "thumbnail_url")
BATCH = 5_000  # papers a part of a streamed file holds: what ingest merges in one transaction


def parse_jsonl(lines: Iterable[str | bytes]) -> Parsed:
    """Read papers from JSONL lines; every bad line becomes a problem with its line number."""
    whole = Parsed()
    for part in jsonl_parts(lines):
        whole.extend(part)
    return whole


def jsonl_parts(lines: Iterable[str | bytes], size: int = BATCH) -> Iterator[Parsed]:
    """The papers of JSONL lines, `size` at a time, read as they come: a file is never held whole."""
    part = Parsed()
    loads = json.loads
    skipped = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = loads(line)
            if not isinstance(record, dict):
                raise Refused(f"a JSON {type(record).__name__}, not an object")
            part.add(f"line {number}", paper_from_record(record))
        except Refused as error:
            part.problems.append(f"line {number}: {error}")
        except (ValueError, RecursionError) as error:  # JSONDecodeError and undecodable bytes
            part.problems.append(f"line {number}: not valid JSON ({str(error)[:80]})")
        if len(part.papers) + len(part.problems) >= size:
            skipped += len(part.problems)
            yield part
            part = Parsed()
    skipped += len(part.problems)
    if part.papers or part.problems:
        yield part
    if skipped:
        log.info("JSONL: %d lines skipped", skipped)


def paper_from_record(record: dict) -> Paper:
    """One JSONL object as a `Paper`; raises `Refused` naming the first field that is wrong."""
    title = record.get("title")
    if not isinstance(title, str) or not (title := clean_text(title)):
        raise Refused("no title")
    abstract = record.get("abstract")
    if abstract is None:
        abstract = record.get("summary")
    if not isinstance(abstract, str):
        raise Refused("no abstract (or summary)")

    raw_id = record.get("id")
    paper_id = None
    if raw_id is not None:
        paper_id = arxiv_id(raw_id) or (arxiv_id_in(raw_id) if isinstance(raw_id, str) else None)
        if paper_id is None:
            raise Refused(f"id {str(raw_id)[:40]!r} is not an arXiv id")

    published = record.get("published_at")
    published_at = parse_time(published)
    if published is not None and published_at is None:
        raise Refused(f"published_at {str(published)[:40]!r} is not a readable ISO date")
    if published_at is None:
        published_at = parse_time(record.get("_date"))  # the arXiv corpus' announcement date

    upvotes = record.get("upvotes")
    if upvotes is not None and (type(upvotes) is not int or upvotes < 0):
        raise Refused(f"upvotes {str(upvotes)[:20]!r} is not a whole number")

    url = record.get("url") or record.get("abs")
    links = {}
    for name in _URL_FIELDS:
        value = record.get(name)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            links[name] = value
    ai_summary = record.get("ai_summary")
    return Paper(
        title=title,
        abstract=clean_text(abstract),
        arxiv_id=paper_id,
        authors=clean_names(record.get("authors")),
        published_at=published_at,
        categories=clean_names(record.get("categories")),
        upvotes=upvotes,
        url=url if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
        ai_summary=clean_text(ai_summary) if isinstance(ai_summary, str) and ai_summary else None,
        ai_keywords=clean_names(record.get("ai_keywords")),
        on_hf=record.get("on_hf") is True,
        source="file",
        **links,
    )

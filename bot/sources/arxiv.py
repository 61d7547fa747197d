"""arXiv responses: Atom from the query API (old and new formats) and the per-category RSS feeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import cast

import feedparser

from bot.domain import Paper
from bot.errors import BadInput
from bot.sources.parsed import Parsed, arxiv_id_in, clean_names, clean_text, parse_time

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

NOTIFY_TYPES = frozenset({"new", "cross"})  # every other announce type updates, never notifies
_ANNOUNCE = re.compile(r"Announce Type:\s*(\S+)")
_PREAMBLE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*Abstract:\s*")


def parse_arxiv_atom(xml: str | bytes) -> Parsed:
    """Papers from an export.arxiv.org/api/query response; its "Error" entry becomes a problem."""
    return parse_atom_page(xml)[0]


def parse_atom_page(xml: str | bytes) -> tuple[Parsed, int | None]:
    """The papers of one Atom page and the query's `opensearch:totalResults` (None if absent).

    Entries are read as they complete, so that a truncated page or file keeps the entries it
    holds whole (the break is reported as a problem); with none whole, it is not Atom at all.
    """
    reader: ElementTree.XMLPullParser = ElementTree.XMLPullParser(events=("start", "end"))
    parsed: Parsed = Parsed()
    root: ElementTree.Element | None = None
    broken: ElementTree.ParseError | None = None
    try:
        reader.feed(xml)
        reader.close()
    except ElementTree.ParseError as error:
        broken = error
    try:
        for event, element in cast(Iterator[tuple[str, ElementTree.Element]], reader.read_events()):
            if root is None:
                root = element
            elif event == "end" and element.tag == ATOM + "entry" and root.tag == ATOM + "feed":
                parsed.add(f"entry {len(parsed.papers) + len(parsed.problems) + 1}", _atom_paper(element))
    except ElementTree.ParseError as error:  # the pull parser hands a late error over after the events before it
        broken = error
    if broken is not None and not parsed.papers:
        raise BadInput(f"not an arXiv Atom document: the XML does not parse ({broken})") from None
    if root is None or root.tag != ATOM + "feed":
        found = f"<{_local(root.tag)}>" if root is not None else "missing"
        raise BadInput(f"not an arXiv Atom document: the root element is {found}, not <feed>")
    if broken is not None:
        whole = len(parsed.papers)
        parsed.problems.append(f"the XML breaks off after {whole} whole entries ({broken}); those were read")
    total = root.findtext(OPENSEARCH + "totalResults")
    return parsed, int(total) if total and total.strip().isdigit() else None


def _atom_paper(entry: ElementTree.Element) -> Paper | str:
    entry_id = entry.findtext(ATOM + "id") or ""
    title = clean_text(entry.findtext(ATOM + "title") or "")
    summary = clean_text(entry.findtext(ATOM + "summary") or "")
    if "/api/errors" in entry_id or (title == "Error" and "/abs/" not in entry_id):
        return f"arXiv answered with an error: {summary or entry_id}"
    paper_id = arxiv_id_in(entry_id)
    if paper_id is None:
        return f"no arXiv id (id {entry_id[:60]!r})"
    if not title:
        return f"{paper_id}: no title"
    primary = entry.find(ARXIV + "primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.iter(ATOM + "category")]
    return Paper(
        title=title,
        abstract=summary,
        arxiv_id=paper_id,
        authors=clean_names([author.findtext(ATOM + "name") for author in entry.iter(ATOM + "author")]),
        published_at=parse_time(entry.findtext(ATOM + "published")),
        categories=tuple(dict.fromkeys(term for term in clean_names(terms))),  # primary first, no repeats
        url=f"https://arxiv.org/abs/{paper_id}",
        source="arxiv",
    )


def parse_arxiv_rss(xml_or_feed: str | bytes | Mapping) -> Parsed:
    """Papers from rss.arxiv.org XML, a feedparser result, or a saved feedparser JSON dump.

    Replacements (`replace`, `replace-cross`) are papers too, so that the store can update
    them, and their ids are listed in `replaced` so that nobody is notified again.
    """
    if isinstance(xml_or_feed, str | bytes):
        feed = feedparser.parse(xml_or_feed)
        if feed.get("bozo") and not feed.get("entries"):
            raise BadInput(f"not an arXiv RSS feed: {feed.get('bozo_exception')}")
        feeds = [feed]
    elif "entries" in xml_or_feed:
        feeds = [xml_or_feed]
    else:  # a dump keyed by feed URL, as saved by RSS readers
        feeds = [value for value in xml_or_feed.values() if isinstance(value, Mapping) and "entries" in value]
        if not feeds:
            raise BadInput("not an arXiv RSS feed: no `entries` in it")
    parsed = Parsed()
    number = 0
    for feed in feeds:
        for entry in feed["entries"]:
            number += 1
            paper = _rss_paper(entry) if isinstance(entry, Mapping) else "not an entry object"
            replacement = not isinstance(paper, str) and _announce_type(entry) not in NOTIFY_TYPES
            if replacement:
                # The item's date is the replacement's announcement, not the paper's: leave it
                # unknown so that a merge never makes an old paper look new.
                paper = paper.with_changes(published_at=None)  # type: ignore[union-attr]
            kept = parsed.add(f"entry {number}", paper)
            if kept is not None and replacement:
                parsed.replaced.add(kept.arxiv_id)  # type: ignore[arg-type]
    return parsed


def _rss_paper(entry: Mapping) -> Paper | str:
    paper_id = arxiv_id_in(str(entry.get("id") or entry.get("link") or ""))
    if paper_id is None:
        return f"no arXiv id (id {str(entry.get('id'))[:60]!r})"
    title = clean_text(str(entry.get("title") or ""))
    if not title:
        return f"{paper_id}: no title"
    authors = entry.get("author") or ""  # dc:creator: one string, "A, B, C"
    tags = entry.get("tags") or ()
    return Paper(
        title=title,
        abstract=clean_text(_PREAMBLE.sub("", str(entry.get("summary") or ""), count=1)),
        arxiv_id=paper_id,
        authors=clean_names(authors.split(", ") if isinstance(authors, str) else authors),
        published_at=_rfc822(entry.get("published")),
        categories=clean_names([tag.get("term") for tag in tags if isinstance(tag, Mapping)]),
        url=f"https://arxiv.org/abs/{paper_id}",
        source="arxiv",
    )


def _announce_type(entry: Mapping) -> str:
    kind = entry.get("arxiv_announce_type")
    if not kind:
        match = _ANNOUNCE.search(str(entry.get("summary") or "")[:200])
        kind = match.group(1) if match else "new"
    return str(kind).strip().lower()


def _rfc822(value: object) -> datetime | None:
    """`Thu, 07 Aug 2025 00:00:00 -0400` (RSS pubDate) as aware UTC; ISO text is accepted too."""
    if not isinstance(value, str):
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return parse_time(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

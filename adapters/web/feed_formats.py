"""A private feed as Atom (feedgen) and as JSON Feed 1.1 (a dict): the same papers, links and words in each."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment

from bot.delivery.private_feed import FEED_DAYS, Feed, FeedItem
from bot.domain import Paper

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
DESCRIPTION = f"The papers posted in the last {FEED_DAYS} days, newest first, each with why it was posted."
# Characters XML 1.0 cannot hold at all: a title from a source must not break the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID_SPACE = uuid.UUID("5a0b6d1e-3c52-4c1f-9a43-5d2f6a0c7e11")  # papers-bot's own namespace for uuid5 ids


@dataclass(frozen=True)
class FeedUrls:
    """Where one feed is served; `key` names the feed in its ids without saying which channel it is."""

    page: str
    atom: str
    json: str
    key: str


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def links(paper: Paper) -> list[tuple[str, str]]:
    """The paper's links, first the one its title goes to; only http(s): a source's URL is untrusted."""
    found = [
        ("arXiv", paper.abs_url),
        ("PDF", paper.pdf_url),
        ("Hugging Face", paper.hf_url),
        ("Code", paper.code_url),
        ("Project", paper.project_url),
    ]
    return [(label, url) for label, url in found if url and url.lower().startswith(("https://", "http://"))]


def entry_id(urls: FeedUrls, item: FeedItem) -> str:
    """Stable and unique per paper in this feed: a paper is sent to a channel once."""
    return uuid.uuid5(_ID_SPACE, f"{urls.key}:{item.paper.key}").urn


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def content_html(templates: Environment, item: FeedItem) -> str:
    return templates.get_template("entry_content.html").render(item=item, links=links(item.paper))


def atom(feed: Feed, urls: FeedUrls, templates: Environment) -> bytes:
    """The Atom document; entries in the feed's order (newest post first)."""
    generator = FeedGenerator()
    generator.id(uuid.uuid5(_ID_SPACE, urls.key).urn)
    generator.title(clean(feed.title))
    generator.subtitle(DESCRIPTION)
    generator.author({"name": "papers-bot"})
    generator.link(href=urls.atom, rel="self", type="application/atom+xml")
    generator.link(href=urls.page, rel="alternate", type="text/html")
    generator.language("en")
    generator.updated(feed.updated)
    for item in feed.items:
        entry = generator.add_entry(order="append")
        entry.id(entry_id(urls, item))
        entry.title(clean(item.paper.title))
        entry.published(item.sent_at)
        entry.updated(max(item.sent_at, item.updated_at))
        for name in item.paper.authors:
            entry.author({"name": clean(name)})
        for number, (label, url) in enumerate(links(item.paper)):
            entry.link(href=url, rel="related" if number else "alternate", title=label)
        entry.summary(clean(item.summary))
        entry.content(clean(content_html(templates, item)), type="html")
        for topic in item.topics:
            entry.category(term=clean(topic))
    return bytes(generator.atom_str(pretty=False))


def json_feed(feed: Feed, urls: FeedUrls, templates: Environment) -> dict[str, Any]:
    """The JSON Feed 1.1 document; `_papers_bot` holds what the format has no field for (the why lines, links)."""
    return {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": urls.page,
        "feed_url": urls.json,
        "description": DESCRIPTION,
        "language": "en",
        "authors": [{"name": "papers-bot"}],
        "items": [_json_item(urls, item, templates) for item in feed.items],
    }


def _json_item(urls: FeedUrls, item: FeedItem, templates: Environment) -> dict[str, Any]:
    found = links(item.paper)
    entry: dict[str, Any] = {
        "id": entry_id(urls, item),
        "title": item.paper.title,
        "content_html": content_html(templates, item),
        "content_text": item.summary,
        "summary": item.summary,
        "date_published": rfc3339(item.sent_at),
        "date_modified": rfc3339(max(item.sent_at, item.updated_at)),
        "_papers_bot": {"why": list(item.why), "links": dict(found), "arxiv_id": item.paper.arxiv_id},
    }
    if found:
        entry["url"] = found[0][1]
    if item.paper.authors:
        entry["authors"] = [{"name": name} for name in item.paper.authors]
    if item.topics:
        entry["tags"] = list(dict.fromkeys(item.topics))
    return entry

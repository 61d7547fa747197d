"""The feeds validate: Atom by the W3C validator's rules that matter to readers, JSON Feed by its published schema."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.testclient import TestClient

from bot.app import App
from tests.feed_site import LAB, NOW, feed_path, paper, post, sqlite_app, sqlite_client  # noqa: F401 (fixtures)

SCHEMAS = Path(__file__).parent / "data" / "jsonfeed"  # SchemaStore's JSON Feed 1.1 schema (README there)
A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def json_feed_validator() -> Draft7Validator:
    feed_1 = json.loads((SCHEMAS / "feed-1.json").read_text())
    registry: Registry = Registry().with_resource(  # type: ignore[call-arg]
        "https://json.schemastore.org/feed-1", Resource.from_contents(feed_1, default_specification=DRAFT4)
    )
    schema = json.loads((SCHEMAS / "feed.json").read_text())
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture
def feed(sqlite_app: App) -> str:
    """A feed with two posts, one paper without an arXiv id or authors, one with a title XML cannot hold as is."""
    lonely = paper(3, "A paper known only by its title").with_changes(arxiv_id=None, authors=(), on_hf=False)
    post(sqlite_app, LAB, [paper(1, "Rewards \x0c & <shaping>"), paper(2)], NOW - timedelta(days=2))
    post(sqlite_app, LAB, [lonely, paper(4)], NOW)
    return feed_path(sqlite_app)


def rfc3339(text: str | None) -> datetime:
    assert text is not None and RFC3339.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_atom_feed_follows_the_rules_a_validator_checks(sqlite_client: TestClient, feed: str) -> None:
    answer = sqlite_client.get(feed + ".atom")
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(answer.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and len(parsed.entries) == 4

    root = ET.fromstring(answer.content)
    for required in ("id", "title", "updated", "author"):
        assert root.find(A + required) is not None, required
    self_link = [link for link in root.findall(A + "link") if link.get("rel") == "self"]
    assert [link.get("href") for link in self_link] == ["https://papers.example.org" + feed + ".atom"]
    rfc3339(root.findtext(A + "updated"))

    entries = root.findall(A + "entry")
    ids = [entry.findtext(A + "id") for entry in entries]
    assert len(set(ids)) == len(ids) == 4 and all(i and i.startswith("urn:uuid:") for i in ids)
    for entry in entries:
        assert entry.findtext(A + "title")
        rfc3339(entry.findtext(A + "updated"))
        rfc3339(entry.findtext(A + "published"))
        alternates = [link for link in entry.findall(A + "link") if link.get("rel") == "alternate"]
        assert len(alternates) <= 1 and (alternates or entry.find(A + "content") is not None)
    assert [e.title for e in parsed.entries][2:] == ["Rewards  & <shaping>", "Paper 2 on reward shaping"]
    assert parsed.entries[0].title == "A paper known only by its title" and "authors" not in parsed.entries[0]


def test_the_json_feed_validates_against_its_published_schema(sqlite_client: TestClient, feed: str) -> None:
    answer = sqlite_client.get(feed + ".json")
    assert answer.headers["content-type"] == "application/feed+json; charset=utf-8"
    document = answer.json()
    errors = [error.message for error in json_feed_validator().iter_errors(document)]
    assert errors == []
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "https://papers.example.org" + feed + ".json"
    assert document["home_page_url"] == "https://papers.example.org" + feed
    ids = [item["id"] for item in document["items"]]
    assert len(set(ids)) == len(ids) == 4
    for item in document["items"]:
        assert rfc3339(item["date_published"]) <= rfc3339(item["date_modified"])
    # The same entry has the same id in both formats: a reader switching format sees no duplicates.
    atom_ids = [e.id for e in feedparser.parse(sqlite_client.get(feed + ".atom").content).entries]
    assert atom_ids == ids


def test_the_schema_is_not_a_rubber_stamp(sqlite_client: TestClient, feed: str) -> None:
    document = sqlite_client.get(feed + ".json").json()
    del document["items"][0]["content_html"], document["items"][0]["content_text"]
    document["title"] = 7
    messages = " ".join(error.message for error in json_feed_validator().iter_errors(document))
    assert "7 is not of type 'string'" in messages and "is not valid under any of the given schemas" in messages


def test_a_feed_with_nothing_posted_yet_is_valid_too(sqlite_app: App, sqlite_client: TestClient) -> None:
    path = feed_path(sqlite_app)
    parsed = feedparser.parse(sqlite_client.get(path + ".atom").content)
    assert parsed.bozo == 0 and parsed.entries == [] and parsed.feed.title == "papers-bot: a Slack channel's papers"
    document = sqlite_client.get(path + ".json").json()
    assert list(json_feed_validator().iter_errors(document)) == [] and document["items"] == []
    assert "Nothing was posted here in the last 30 days." in sqlite_client.get(path).text

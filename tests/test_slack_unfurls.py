"""Link unfurls through the real slack-bolt App: a signed `link_shared` event, one `chat.unfurl` with cards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import slack_bolt
from slack_bolt.request import BoltRequest

from adapters.slack.app import build_slack_app
from bot.app import App, build_app
from bot.domain import Paper
from bot.find.lookup import linked_ids
from bot.paper_links import arxiv_key
from bot.sources.ingest import merge_papers
from tests.slack_api import SlackAPI, event_body, signed_headers
from tests.sources_server import Reply, SourcesServer
from tests.test_slack_app import RunAtOnce, slack_settings

SOURCES = Path(__file__).parent / "data" / "sources"
STORED = Paper(
    title="Mixtral of Experts <!channel>",
    abstract="We introduce Mixtral 8x7B, a sparse mixture of experts language model (SMoE) with open weights.",
    arxiv_id="2401.04088",
    authors=("Albert Q. Jiang", "Alexandre Sablayrolles"),
    published_at=datetime(2024, 1, 8, tzinfo=UTC),
    upvotes=42,
    on_hf=True,
)


@pytest.fixture
def arxiv() -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        server.script(
            "/api/query",
            Reply(200, (SOURCES / "atom-id-2202.12139.xml").read_bytes(), content_type="application/atom+xml"),
        )
        yield server


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


@pytest.fixture
def app(tmp_path: Path, slack: SlackAPI, arxiv: SourcesServer) -> Iterator[App]:
    settings = slack_settings(f"sqlite:///{tmp_path / 'papers.db'}", slack, arxiv_api_url=arxiv.url + "/api/query")
    built = build_app(settings)
    merge_papers(built.engine, [STORED])
    yield built
    built.engine.dispose()


@pytest.fixture
def bolt(app: App) -> slack_bolt.App:
    return build_slack_app(app, executor=RunAtOnce())


def link_shared(*urls: str, channel: str = "C1", source: str = "conversations_history") -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": channel,
        "is_bot_user_member": True,
        "user": "U1",
        "message_ts": "1764000000.000200",
        "unfurl_id": "UNFURL1",
        "source": source,
        "links": [{"domain": url.split("/")[2].removeprefix("www."), "url": url} for url in urls],
        "event_ts": "1764000000.000300",
    }


def dispatch(bolt: slack_bolt.App, event: dict[str, Any]) -> int:
    body = event_body(event)
    return bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))).status


def unfurl_texts(unfurl: dict[str, Any]) -> str:
    parts = []
    for block in unfurl["blocks"]:
        parts.append((block.get("text") or {}).get("text", ""))
        parts += [element.get("text", "") for element in block.get("elements", [])]
    return "\n".join(parts)


def test_a_stored_paper_is_unfurled_once_with_its_title_and_the_unknown_one_is_fetched_from_arxiv(
    bolt: slack_bolt.App, slack: SlackAPI, arxiv: SourcesServer, app: App
) -> None:
    stored, unknown = "https://arxiv.org/abs/2401.04088v2", "https://www.alphaxiv.org/abs/2202.12139"
    assert dispatch(bolt, link_shared(stored, unknown)) == 200

    [call] = slack.state.calls_to("chat.unfurl")
    assert (call["channel"], call["ts"]) == ("C1", "1764000000.000200")
    unfurls = call["unfurls"]
    assert set(unfurls) == {stored, unknown}
    card = unfurl_texts(unfurls[stored])
    assert "Mixtral of Experts &lt;!channel&gt;" in card and "<!channel>" not in card  # never a ping
    assert "Albert Q. Jiang" in card and "▲ 42" in card and "08 Jan 2024" in card
    assert "<https://huggingface.co/papers/2401.04088|Hugging Face>" in card
    assert "Testing Deep Learning Models: A First Comparative Study" in unfurl_texts(unfurls[unknown])

    [asked] = arxiv.requests  # only the id that was not stored, through the polite client
    assert asked.query["id_list"] == "2202.12139" and "mailto:" in asked.headers["user-agent"]
    with app.service.uow() as uow:
        assert uow.papers.get("2202.12139") is not None  # stored: the next paste needs no request


SPOOFS = (
    "https://huggingface.co/spaces/attacker/phish/arxiv.org/abs/2401.04088",
    "https://huggingface.co/login?next=/arxiv.org/abs/2401.04088",
    "https://www.alphaxiv.org/redirect?url=https://attacker.example/arxiv.org/abs/2401.04088",
    "https://arxiv.org@attacker.example/abs/2401.04088",
    "https://arxiv.org.attacker.example/abs/2401.04088",
    "https://attacker.example/huggingface.co/papers/2401.04088",
)


def test_a_link_elsewhere_that_mentions_a_paper_is_not_unfurled_as_its_card(
    bolt: slack_bolt.App, slack: SlackAPI
) -> None:
    assert dispatch(bolt, link_shared(*SPOOFS)) == 200
    assert slack.state.calls_to("chat.unfurl") == []  # the stored paper's card would dress the attacker's link


def test_links_to_nothing_known_make_no_unfurl_call(
    bolt: slack_bolt.App, slack: SlackAPI, arxiv: SourcesServer
) -> None:
    arxiv.script("/api/query", Reply(200, (SOURCES / "atom-empty.xml").read_bytes()))
    assert dispatch(bolt, link_shared("https://arxiv.org/abs/2412.99999", "https://huggingface.co/models")) == 200
    assert slack.state.calls_to("chat.unfurl") == []


def test_a_link_in_the_composer_is_unfurled_by_its_unfurl_id(bolt: slack_bolt.App, slack: SlackAPI) -> None:
    dispatch(bolt, link_shared("https://huggingface.co/papers/2401.04088", channel="COMPOSER", source="composer"))
    [call] = slack.state.calls_to("chat.unfurl")
    assert (call["unfurl_id"], call["source"]) == ("UNFURL1", "composer") and "channel" not in call


def test_an_arxiv_outage_leaves_the_stored_cards_standing(
    bolt: slack_bolt.App, slack: SlackAPI, arxiv: SourcesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.sources.http.PROCESS_PACER.sleep", lambda seconds: None)  # no real waits between tries
    arxiv.script("/api/query", Reply(503, b"down", headers={"Retry-After": "0"}))
    dispatch(bolt, link_shared("https://arxiv.org/pdf/2401.04088.pdf", "https://arxiv.org/abs/2202.12139"))
    [call] = slack.state.calls_to("chat.unfurl")
    assert list(call["unfurls"]) == ["https://arxiv.org/pdf/2401.04088.pdf"]
    assert len(arxiv.requests) == 2  # a person is waiting: one retry, not the scheduled fetches' five


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("https://arxiv.org/abs/2401.01234v2", ["2401.01234"]),
        ("<https://arxiv.org/pdf/hep-th/9901001v1.pdf|pdf>", ["hep-th/9901001"]),
        ("https://huggingface.co/papers/2312.00752 and arxiv.org/html/2312.00752v1", ["2312.00752"]),
        ("https://www.alphaxiv.org/overview/2401.01234", ["2401.01234"]),
        ("https://arxiv.org/abs/2401.123456", []),  # no id of arXiv's grammar: never read as 2401.12345
        ("https://example.org/abs/2401.01234", []),
        (
            "<https://hf.co/papers/2401.01234>, then (https://export.arxiv.org/abs/2402.01234).",
            ["2401.01234", "2402.01234"],
        ),
        ("[the paper](https://arxiv.org/abs/2401.01234v3)", ["2401.01234"]),
        ("https://huggingface.co/spaces/x/arxiv.org/abs/2401.01234", []),  # the path must start with /papers/
        ("https://huggingface.co/login?next=/arxiv.org/abs/2401.01234", []),
        ("https://evil.example/x|arxiv.org/abs/2401.01234", []),  # Slack's url|label: the label is no link
        ("https://evil.example\\@arxiv.org/abs/2401.01234", []),  # browsers go to evil.example
    ],
)
def test_links_name_arxiv_ids_old_and_new(text: str, ids: list[str]) -> None:
    assert linked_ids(text) == ids


@pytest.mark.parametrize("spoof", SPOOFS)
def test_a_spoofed_link_names_no_paper_wherever_it_is_read(spoof: str) -> None:
    assert linked_ids(spoof) == [] and linked_ids(f"see <{spoof}|arxiv.org/abs/2401.04088>") == []
    assert arxiv_key(spoof) is None  # find, like: and feedback read the same way


@pytest.mark.parametrize(
    "text",
    ["2401.04088", "arXiv:2401.04088v2", "<https://arxiv.org/abs/2401.04088v2|arXiv>", "hf.co/papers/2401.04088"],
)
def test_an_id_or_a_link_to_its_page_still_names_the_paper(text: str) -> None:
    assert arxiv_key(text) == "2401.04088"


def test_unfurl_event_and_scopes_are_in_the_manifest() -> None:
    manifest = (Path(__file__).parent.parent / "slack" / "manifest.yml").read_text()
    for needed in ("link_shared", "app_home_opened", "links:read", "links:write", "files:write", "unfurl_domains"):
        assert needed in manifest
    for domain in ("arxiv.org", "huggingface.co", "alphaxiv.org"):
        assert f"- {domain}" in manifest

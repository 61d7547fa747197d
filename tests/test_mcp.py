"""`papers-bot mcp`: an AI assistant's MCP client over stdio gets what the command line's `--json` gives, from
the same core; refusals are tool errors of one sentence; subscribing is there only with --allow-changes."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextResourceContents

from tests.conftest import DATA
from tests.test_command_line import ROOT, clean_env, papers_bot, without_module

T = TypeVar("T")
READ_ONLY = ["find", "match", "digest", "why", "list"]
HF_DAY = DATA / "sources" / "hf-2025-07-23.json"  # three papers, among them 2507.16784 below
TIM = "Beyond Context Limits: Subconscious Threads for Long-Horizon Reasoning"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the bundled papers (the first command stores them), a day of Hugging Face papers
    ingested, and terminal:lab following large-language-models."""
    home = tmp_path_factory.mktemp("mcp")
    subscribed = papers_bot(home, "say", "terminal:lab", "/papers subscribe large-language-models")
    assert subscribed.returncode == 0, subscribed.stderr
    ingested = papers_bot(home, "ingest", str(HF_DAY))
    assert ingested.returncode == 0, ingested.stderr
    return home


def over_stdio(home: Path, talk: Callable[[ClientSession], Awaitable[T]], *flags: str, crashes: bool = False) -> T:
    """`papers-bot mcp FLAGS` launched and spoken to by the SDK's own client; its log (stderr) holds no
    traceback unless the test makes it crash."""
    # No arXiv: an id not stored would be asked of a port where nothing listens.
    env = clean_env(home, ARXIV_API_URL="http://127.0.0.1:9/api/query")
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "adapters.cli", "mcp", *flags], env=env, cwd=ROOT
    )
    log = home / "mcp-stderr.log"

    async def session() -> T:
        with log.open("w") as errlog:
            async with stdio_client(server, errlog=errlog) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                return await talk(client)

    answer = anyio.run(session)
    assert ("Traceback" in log.read_text()) == crashes
    return answer


def cli_json(home: Path, *args: str) -> Any:
    run = papers_bot(home, *args, "--json")
    return json.loads(run.stdout)


def structured(result: CallToolResult) -> Any:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content.get("result", result.structured_content)  # a list comes wrapped


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return "\n".join(getattr(part, "text", "") for part in result.content)


def test_without_allow_changes_the_tools_only_read(tmp_path: Path) -> None:
    async def talk(client: ClientSession) -> tuple[list[str], CallToolResult]:
        tools = await client.list_tools()
        refused = await client.call_tool("subscribe", {"channel": "terminal:lab", "query": "robotics"})
        return [tool.name for tool in tools.tools], refused

    names, refused = over_stdio(tmp_path, talk)  # a first database: the bundled papers
    assert names == READ_ONLY
    assert error_text(refused) == "Unknown tool: subscribe"


def test_find_match_and_digest_answer_what_the_command_line_answers(home: Path) -> None:
    async def talk(client: ClientSession) -> list[CallToolResult]:
        return [
            await client.call_tool("find", {"text": "subconscious threads long horizon", "limit": 3}),
            await client.call_tool("match", {"query": "large-language-models", "since": "2025-07-01", "limit": 1000}),
            await client.call_tool("match", {"query": "large-language-models -agents"}),
            await client.call_tool("digest", {"channel": "terminal:lab"}),
        ]

    found, matched, best, digest = over_stdio(home, talk)

    assert structured(found) == cli_json(home, "find", "subconscious threads long horizon", "--limit", "3")
    assert structured(found)[0]["title"] == TIM
    assert structured(found)[0]["pdf"] == "https://arxiv.org/pdf/2507.16784"
    every = cli_json(home, "match", "large-language-models", "--since", "2025-07-01")
    assert len(every) > 20 and structured(matched) == every
    assert structured(best) == cli_json(home, "match", "large-language-models -agents")[:20]  # the best 20
    assert all(paper["why"] for paper in structured(best))
    previewed = cli_json(home, "digest", "terminal:lab")
    assert previewed and structured(digest) == previewed


def test_why_and_list_are_the_chat_service_answers(home: Path) -> None:
    async def talk(client: ClientSession) -> list[CallToolResult]:
        return [
            await client.call_tool("why", {"paper": "https://arxiv.org/abs/2507.16784v2", "channel": "terminal:lab"}),
            await client.call_tool("list", {"channel": "terminal:lab"}),
        ]

    why, listed = over_stdio(home, talk)

    said = cli_json(home, "say", "terminal:lab", "/papers why 2507.16784")
    assert structured(why) == said
    assert said["type"] == "Explained" and said["paper"]["title"] == TIM
    assert [query for query, _ in said["reasons"]] == ["large-language-models"]
    assert structured(listed)["type"] == "SubscriptionList"
    assert structured(listed)["subscriptions"] == [["large-language-models", "topic large-language-models"]]


def test_a_paper_is_a_resource_with_its_abstract_links_and_topics(home: Path) -> None:
    async def talk(client: ClientSession) -> tuple[list[str], TextResourceContents, str]:
        templates = await client.list_resource_templates()
        read = await client.read_resource("paper://2507.16784")
        with pytest.raises(MCPError) as refused:
            await client.read_resource("paper://not-an-id")
        contents = read.contents[0]
        assert isinstance(contents, TextResourceContents)
        return [t.uri_template for t in templates.resource_templates], contents, refused.value.error.message

    templates, contents, refused = over_stdio(home, talk)

    assert templates == ["paper://{arxiv_id}"]
    assert contents.mime_type == "application/json"
    paper = json.loads(contents.text)
    assert paper["title"] == TIM
    assert paper["authors"][:2] == ["Hongyin Luo", "Nathaniel Morgan"]
    assert paper["abstract"].startswith("To break the context limits of large language models (LLMs)")
    assert (paper["url"], paper["pdf"]) == ("https://arxiv.org/abs/2507.16784", "https://arxiv.org/pdf/2507.16784")
    assert "Large language models" in paper["topics"]
    assert refused == "`not-an-id` is not an arXiv id, such as 2401.12345."


def test_bad_input_is_a_tool_error_of_one_sentence(home: Path) -> None:
    async def talk(client: ClientSession) -> list[CallToolResult]:
        return [
            await client.call_tool("match", {"query": "nonsense-topic-xyz"}),
            await client.call_tool("match", {"query": "robotics", "since": "last week"}),
            await client.call_tool("find", {"text": "attention", "limit": 0}),
            await client.call_tool("digest", {"channel": "lab"}),
            await client.call_tool("why", {"paper": "the one about threads", "channel": "terminal:lab"}),
        ]

    assert [error_text(result) for result in over_stdio(home, talk)] == [
        "Error executing tool match: I don't know the topic `nonsense-topic-xyz`. /papers topics lists them.",
        "Error executing tool match: `last week` is not a date; use YYYY-MM-DD.",
        "Error executing tool find: limit must be 1 or more, not 0.",
        "Error executing tool digest: `lab` is not a channel; use terminal:NAME, slack:TEAM_ID:CHANNEL_ID or "
        "discord:GUILD_ID:CHANNEL_ID.",
        "Error executing tool why: Name the paper by its arXiv id or link, such as 2401.12345.",
    ]


def test_a_crash_is_logged_with_a_reference_and_said_in_one_sentence(tmp_path: Path) -> None:
    async def talk(client: ClientSession) -> CallToolResult:
        with sqlite3.connect(tmp_path / "papers.db") as db:  # the store breaks under the running server
            db.execute("ALTER TABLE paper RENAME TO gone")
        return await client.call_tool("match", {"query": "robotics"})

    said = error_text(over_stdio(tmp_path, talk, crashes=True))

    ref = re.fullmatch(
        r"Error executing tool match: Something went wrong on my side; it is logged as ref (\w{8})\.", said
    )
    assert ref is not None, said
    assert f"mcp match failed (ref {ref.group(1)})" in (tmp_path / "mcp-stderr.log").read_text()


def test_with_allow_changes_subscribe_and_unsubscribe_go_through_the_chat_service(home: Path) -> None:
    async def talk(client: ClientSession) -> list[Any]:
        tools = await client.list_tools()
        return [
            [tool.name for tool in tools.tools],
            await client.call_tool("subscribe", {"channel": "terminal:assistant", "query": "robotics"}),
            await client.call_tool("list", {"channel": "terminal:assistant"}),
            await client.call_tool("subscribe", {"channel": "terminal:assistant", "query": "robotics for me"}),
            await client.call_tool("subscribe", {"channel": "terminal:assistant", "query": "nonsense-topic-xyz"}),
        ]

    names, subscribed, listed, personal, unknown = over_stdio(home, talk, "--allow-changes")

    assert names == [*READ_ONLY, "subscribe", "unsubscribe"]
    assert structured(subscribed)["type"] == "Subscribed"
    assert structured(subscribed)["understood"] == "topic robotics"
    assert structured(listed)["subscriptions"] == [["robotics", "topic robotics"]]
    said = papers_bot(home, "say", "terminal:assistant", "/papers list")  # the same store the chat reads
    assert "robotics" in said.stdout
    assert error_text(personal) == (
        "Error executing tool subscribe: The MCP server works on channels, not on a person's own feed; "
        "leave out `for me`."
    )
    assert error_text(unknown).startswith("Error executing tool subscribe: I don't know the topic")

    async def stop(client: ClientSession) -> list[CallToolResult]:
        return [
            await client.call_tool("unsubscribe", {"channel": "terminal:assistant", "target": "robotics"}),
            await client.call_tool("list", {"channel": "terminal:assistant"}),
        ]

    unsubscribed, emptied = over_stdio(home, stop, "--allow-changes")
    assert structured(unsubscribed)["queries"] == ["robotics"]
    assert structured(emptied)["subscriptions"] == []


def test_mcp_without_the_extra_says_which_to_install(home: Path) -> None:
    run = without_module("mcp", home, "mcp")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "error: papers-bot mcp needs the `mcp` extra, which is not installed: pip install 'papers-bot[mcp]'.\n"
    )

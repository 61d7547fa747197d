"""`papers-bot mcp`: the stored papers for AI assistants over MCP (stdio), answered by the same core as chat and the CLI.

Each tool is a thin shell over what a command already does (the finder, a subscription's matches, a digest
preview, the chat service) and answers the command line's `--json` shapes. A refusal is a tool error whose
text is the core's one sentence; a crash is logged with a reference and said as one sentence too.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations

from adapters import json_output as jo
from bot.app import App
from bot.chat import commands as c
from bot.chat import replies as r
from bot.delivery.digest import build_digest
from bot.domain import Actor, ChannelRef, start_of_day
from bot.errors import PapersError, echo
from bot.relevance.query import parse_query
from bot.sources.parsed import arxiv_id as parsed_id
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Who the chat service sees typing: the server's operator chose to start it with --allow-changes.
ASSISTANT = Actor("mcp", "an AI assistant (MCP)")
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
CHANGES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
INSTRUCTIONS = (
    "Research papers stored by papers-bot. `find` looks a paper up by a half-remembered title or an arXiv id; "
    "`match` shows what a subscription query would get; `digest`, `why` and `list` take a channel such as "
    "terminal:lab or slack:TEAM:CHANNEL; read paper://ARXIV_ID for one paper's abstract, links and topics."
)


def serve(app: App, allow_changes: bool = False) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them."""
    server(app, allow_changes).run("stdio")


def server(app: App, allow_changes: bool = False) -> MCPServer:
    """The tools and the paper resource; `subscribe` and `unsubscribe` only when the operator allows changes."""
    mcp = MCPServer("papers-bot", instructions=INSTRUCTIONS, log_level="WARNING")

    @mcp.tool(annotations=READ_ONLY)
    def find(text: str, limit: int = 5) -> list[dict[str, Any]]:
        """Stored papers like a half-remembered title, an arXiv id or a link, best first (as /papers find)."""
        with one_sentence("find"):
            if limit < 1:
                raise ToolError(f"limit must be 1 or more, not {limit}.")
            return [jo.found_json(f) for f in app.finder.find(text, limit=limit)]

    @mcp.tool(annotations=READ_ONLY)
    def match(query: str, since: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The stored papers a subscription query would get, best first, each with why (as `papers-bot match`).

        `since` is YYYY-MM-DD: only papers published or stored since then; `limit` keeps the best ones."""
        with one_sentence("match"):
            if limit < 1:
                raise ToolError(f"limit must be 1 or more, not {limit}.")
            parsed = parse_query(query, app.taxonomy)
            with UnitOfWork(app.engine) as uow:
                papers = uow.papers.recent(start_of_day(since) or datetime.min.replace(tzinfo=UTC))
            return [jo.match_json(m) for m in app.service.paper_topics.evaluate(parsed, papers)[:limit]]

    @mcp.tool(annotations=READ_ONLY)
    def digest(channel: str) -> list[dict[str, Any]]:
        """What the channel's next post would hold, best first (sends nothing, records nothing)."""
        with one_sentence("digest"):
            ref = ChannelRef.parse(channel)
            with UnitOfWork(app.engine, app.default_schedule) as uow:
                preview = build_digest(uow, app.matcher, ref, app.service.clock(), cap=None)
            return jo.digest_json(preview)

    @mcp.tool(annotations=READ_ONLY)
    def why(paper: str, channel: str) -> dict[str, Any]:
        """Every reason a paper (arXiv id or link) matches each of the channel's subscriptions (as /papers why)."""
        return chat(app, channel, f"why {paper}")

    @mcp.tool(name="list", annotations=READ_ONLY)
    def subscriptions(channel: str) -> dict[str, Any]:
        """The channel's subscriptions and schedule (as /papers list)."""
        return chat(app, channel, "list")

    if allow_changes:

        @mcp.tool(annotations=CHANGES)
        def subscribe(channel: str, query: str) -> dict[str, Any]:
            """Make the channel follow a query: a topic slug, "a phrase", cat:cs.LG, author:"Name"; -word excludes."""
            return chat(app, channel, f"subscribe {query}")

        @mcp.tool(annotations=CHANGES)
        def unsubscribe(channel: str, target: str) -> dict[str, Any]:
            """Stop the channel following a query, given as typed or by its number in `list` (`all confirm`: all)."""
            return chat(app, channel, f"unsubscribe {target}")

    @mcp.resource("paper://{arxiv_id}", mime_type="application/json")
    def paper(arxiv_id: str) -> str:
        """One paper: title, authors, abstract, links and topics (one not stored is asked of arXiv, as a link is)."""
        key = parsed_id(arxiv_id)
        if key is None:
            raise ResourceNotFoundError(f"{echo(arxiv_id)} is not an arXiv id, such as 2401.12345.")
        found = app.lookup.paper(key)
        if found is None:
            raise ResourceNotFoundError(f"I have no paper {key}, and arXiv gave none.")
        card = app.lookup.card(found)
        shown = jo.paper_json(found) | {"abstract": found.abstract, "topics": list(card.topics)}
        return json.dumps(shown, ensure_ascii=False)

    return mcp


def chat(app: App, channel: str, text: str) -> dict[str, Any]:
    """A chat command through the chat service, as `papers-bot say` runs it; a refusal is a tool error."""
    with one_sentence(text.split()[0]):
        command = c.parse_command(text)
        if getattr(command, "personal", False):  # the assistant is nobody's person: `for me` has no feed to reach
            raise ToolError("The MCP server works on channels, not on a person's own feed; leave out `for me`.")
        reply = app.service.run(ChannelRef.parse(channel), ASSISTANT, command)
    if isinstance(reply, r.Problem):
        raise ToolError(reply.message)
    return jo.reply_json(reply)


@contextmanager
def one_sentence(tool: str) -> Iterator[None]:
    """The core's refusal as the tool error's text; anything else logged with a reference, never a traceback."""
    try:
        yield
    except ToolError:
        raise
    except PapersError as error:
        raise ToolError(error.message) from None
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("mcp %s failed (ref %s)", tool, ref)
        raise ToolError(f"Something went wrong on my side; it is logged as ref {ref}.") from None

"""The digest preview in Slack: a page at a time with ◀ / ▶ buttons, never "/papers digest shows the list" inside it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from adapters.slack.render import render_part
from bot.app import App
from bot.delivery.senders import Part
from bot.domain import ChannelRef, Digest
from tests.slack_api import SlackAPI, signed_headers
from tests.test_slack_app import Workspace, papers, slack, slack_server, workspace_for  # noqa: F401


@pytest.fixture
def workspace(papers: App, slack: SlackAPI) -> Iterator[Workspace]:
    yield workspace_for(papers, slack)


def click(workspace: Workspace, button: dict[str, Any]) -> list[dict[str, Any]]:
    """A signed block_actions request for one button of an ephemeral message; what was sent to its response_url."""
    payload = {
        "type": "block_actions",
        "team": {"id": workspace.team, "domain": "lab"},
        "user": {"id": workspace.user, "username": workspace.name, "team_id": workspace.team},
        "channel": {"id": workspace.channel, "name": "papers"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": uuid.uuid4().hex,
        "response_url": workspace.slack.response_url(f"{workspace.team}/click-{uuid.uuid4().hex[:6]}"),
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [{**button, "block_id": "pages", "action_ts": "1700000000.000100"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    before = len(workspace.slack.state.responses)
    response = workspace.bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
    assert response.status == 200, response.body
    return workspace.slack.state.responses[before:]


def message_text(message: dict[str, Any]) -> str:
    """The texts of a message's sections and context (buttons are read with `buttons`)."""
    parts = []
    for block in message.get("blocks") or []:
        for holder in [block.get("text") or {}, *block.get("elements", [])]:
            if isinstance(holder.get("text"), str):
                parts.append(holder["text"])
    return "\n".join(parts)


def papers_in(message: dict[str, Any]) -> set[str]:
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    return {text for text in sections if "new papers for" not in text}  # every section but the title


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return {e["text"]["text"].split()[0]: e for e in found}


def test_the_preview_pages_forward_and_back_in_place(workspace: Workspace) -> None:
    workspace.say("subscribe reinforcement-learning")
    [first] = [m for m in workspace.replies("digest") if m.get("blocks")]
    text = message_text(first)
    total = int(text.split("Papers 1–10 of ")[1].split(".")[0])
    assert total > 20 and "/papers digest` shows the list" not in text
    assert set(buttons(first)) == {"Next"}

    [second] = click(workspace, buttons(first)["Next"])
    assert second["replace_original"] is True
    assert f"Papers 11–20 of {total}" in message_text(second)
    assert set(buttons(second)) == {"◀", "Next"}
    assert not papers_in(first) & papers_in(second) and len(papers_in(second)) == 10

    [back] = click(workspace, buttons(second)["◀"])
    assert "Papers 1–10 of" in message_text(back)


def test_a_post_cut_at_its_cap_shows_the_rest_to_whoever_asks(workspace: Workspace) -> None:
    workspace.say("subscribe reinforcement-learning")
    [preview] = [m for m in workspace.replies("digest") if m.get("blocks")]
    total = int(message_text(preview).split("Papers 1–10 of ")[1].split(".")[0])
    posted = Digest(ChannelRef("slack", workspace.team, workspace.channel), (), more=total - 10, title="RL today")
    _, parent = render_part(posted, Part(0, 4, ()))
    show = buttons({"blocks": parent})["Show"]
    assert show["text"]["text"] == f"Show the other {total - 10} ▸"

    [rest] = click(workspace, show)
    assert rest["replace_original"] is False  # the post stays; the rest is the clicker's own message
    assert f"Papers 1–10 of {total}" in message_text(rest) and "Next" in buttons(rest)


def test_a_post_with_nothing_left_over_has_no_such_button() -> None:
    posted = Digest(ChannelRef("slack", "T1", "C1"), (), more=0, title="RL today")
    _, parent = render_part(posted, Part(0, 4, ()))
    assert [b for b in parent if b["type"] == "actions"] == []

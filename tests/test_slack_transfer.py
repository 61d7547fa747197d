"""`/papers export` as a file upload and `@papers import` with that file attached, through the real slack-bolt App."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.request import BoltRequest

from adapters.slack.translator import Permissions
from bot.app import App
from tests.slack_api import SlackAPI, event_body, mention, signed_headers
from tests.test_slack_app import Workspace, message_text, papers, slack, slack_server, workspace_for

__all__ = ["papers", "slack", "slack_server"]  # the module's fixtures, shared with tests/test_slack_app.py


def attach(workspace: Workspace, text: str, files: list[dict[str, Any]], user: str = "U1") -> list[dict[str, Any]]:
    """`@papers <text>` with files attached, as Slack sends it; returns what the bot posted or showed."""
    slack = workspace.slack
    before = len(slack.state.calls)
    event = mention(text, channel=workspace.channel, user=user) | {"files": files}
    body = event_body(event)
    assert (
        workspace.bolt.dispatch(
            BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))
        ).status
        == 200
    )
    return [params for name, params in slack.state.calls[before:] if name in ("chat.postMessage", "chat.postEphemeral")]


def exported_file(slack: SlackAPI, file_id: str) -> dict[str, Any]:
    """The uploaded export, as Slack would then serve it to a reader of the channel."""
    upload = slack.state.uploads[file_id]
    slack.state.files[file_id] = upload["content"].encode()
    return {
        "id": file_id,
        "name": upload["filename"],
        "size": len(upload["content"]),
        "url_private_download": f"{slack.url}files/{file_id}",
    }


def test_export_then_import_into_another_channel_gives_the_same_subscriptions(papers: App, slack: SlackAPI) -> None:
    source, target = workspace_for(papers, slack), workspace_for(papers, slack)
    source.say("subscribe robotics")
    source.say('subscribe "world model" -survey min-upvotes=2')
    source.say("schedule 08:30 Europe/Berlin weekdays")

    assert source.replies("export") == []  # acked at once; the file in the channel is the answer
    [(file_id, upload)] = slack.state.uploads.items()
    assert upload["channel"] == source.channel and upload["filename"].endswith(".jsonl")
    assert upload["comment"].startswith("<@U1> exported this channel's 2 subscriptions")
    lines = [json.loads(line) for line in upload["content"].splitlines()]
    assert [line["query"] for line in lines] == ["robotics", '"world model" -survey min-upvotes=2']
    assert {line["schedule"] for line in lines} == {"08:30 Europe/Berlin weekdays"}

    [announced] = attach(target, "import", [exported_file(slack, file_id)])
    assert announced["channel"] == target.channel
    assert (
        "<@U1> imported into this channel: 2 subscriptions added, posts on weekdays at 08:30 Europe/Berlin."
        in (announced["text"])
    )
    assert target.say("list").replace(target.channel, "") == source.say("list").replace(source.channel, "")

    [again] = attach(target, "import", [exported_file(slack, file_id)])  # the same file twice changes nothing
    assert "0 subscriptions added, 2 already followed" in again["text"]
    assert slack.state.calls_to("files.download") == [{"id": file_id}] * 2


def test_a_bad_line_is_refused_with_its_number_and_the_rest_goes_in(papers: App, slack: SlackAPI) -> None:
    target = workspace_for(papers, slack)
    slack.state.files["F7"] = (
        b'{"channel": "slack:T1:CX", "query": "robotics"}\nnot json\n{"channel": "x", "query": "reinforcment-learning"}\n'
    )
    [announced] = attach(target, "import", [{"id": "F7", "size": 120, "url_private_download": f"{slack.url}files/F7"}])
    text = message_text({"blocks": announced["blocks"]})
    assert "1 subscription added, 2 lines refused" in text
    assert "line 2: This line is not JSON" in text and "line 3: I don't know the topic" in text
    assert "1. `robotics`" in target.say("list")  # in this channel, whatever channel the file named


def test_only_a_file_on_slack_is_read_and_never_with_the_token_elsewhere(papers: App, slack: SlackAPI) -> None:
    target = workspace_for(papers, slack)
    [refused] = attach(target, "import", [{"id": "F8", "size": 10, "url_private_download": "https://evil.example/f"}])
    assert "I can only read a file uploaded to Slack" in refused["text"]
    assert "1." not in target.say("list")


def test_import_without_a_file_says_how(papers: App, slack: SlackAPI) -> None:
    [problem] = workspace_for(papers, slack).replies("import")
    assert "attach it to the command, or to a message that mentions the bot" in message_text(problem)


def test_import_changes_subscriptions_so_only_those_who_may_change_may_import(papers: App, slack: SlackAPI) -> None:
    target = workspace_for(papers, slack, Permissions("admins", []))
    slack.state.files["F6"] = b'{"channel": "slack:T1:CX", "query": "robotics"}\n'
    [refused] = attach(target, "import", [{"id": "F6", "size": 50, "url_private_download": f"{slack.url}files/F6"}])
    assert "Only workspace admins" in refused["text"]
    assert "1." not in target.say("list")


def test_a_huge_file_is_refused_before_it_is_read(papers: App, slack: SlackAPI) -> None:
    target = workspace_for(papers, slack)
    [refused] = attach(
        target, "import", [{"id": "F5", "size": 300 * 1024, "url_private_download": f"{slack.url}files/F5"}]
    )
    assert "over 256 KB" in refused["text"] and slack.state.count("files.download") == 0

"""App Home through the real slack-bolt App: the tab a person opens, its buttons, the subscribe modal's preview."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack.home import (
    CHANNEL,
    OPEN_SUBSCRIBE,
    QUERY,
    SUBSCRIBE_MODAL,
    UNSUBSCRIBE,
    home_view,
    query_check,
    subscribe_modal,
)
from adapters.slack.members import NOT_MEMBER
from adapters.slack.translator import Permissions
from bot.app import App
from bot.chat import replies as r
from bot.chat.home import ChannelFollows, Home
from bot.domain import Actor, ChannelRef, Match, Paper, Schedule
from tests.slack_api import SlackAPI, event_body, signed_headers
from tests.test_slack_app import Workspace, papers, slack, slack_server, workspace_for

__all__ = ["papers", "slack", "slack_server"]  # the module's fixtures, shared with tests/test_slack_app.py


def valid(view: dict[str, Any]) -> dict[str, Any]:
    """The view as slack_sdk's Block Kit models read it: every block known to them, every limit kept."""
    View(**view).validate_json()  # raises SlackObjectFormationError on a broken limit
    parsed = Block.parse_all(view["blocks"])
    assert [type(block).__name__ for block in parsed if block is None or type(block) is Block] == []
    assert [b.to_dict() for b in parsed] == view["blocks"]  # nothing the models do not know was written
    return view


def open_home(workspace: Workspace, user: str = "U1") -> dict[str, Any]:
    body = event_body({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1.2"})
    response = workspace.bolt.dispatch(
        BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))
    )
    assert response.status == 200
    [published] = [p for name, p in workspace.slack.state.calls[-3:] if name == "views.publish"][-1:]
    assert published["user_id"] == user
    return valid(json.loads(published["view"]) if isinstance(published["view"], str) else published["view"])


def interact(workspace: Workspace, payload: dict[str, Any], user: str = "U1") -> Any:
    payload = {
        "team": {"id": "T1", "domain": "lab"},
        "user": {"id": user, "username": "ana", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": uuid.uuid4().hex,
        **payload,
    }
    body = urlencode({"payload": json.dumps(payload)})
    response = workspace.bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
    assert response.status == 200, response.body
    return response


def click(workspace: Workspace, action: dict[str, Any], view: dict[str, Any], user: str = "U1") -> Any:
    return interact(workspace, {"type": "block_actions", "view": view, "actions": [action]}, user)


def last_view(slack: SlackAPI, method: str) -> dict[str, Any]:
    params = slack.state.calls_to(method)[-1]
    return valid(json.loads(params["view"]) if isinstance(params["view"], str) else params["view"])


def texts(view: dict[str, Any]) -> str:
    """What a reader sees: sections, contexts and headers (buttons and menus aside)."""
    parts = []
    for block in view["blocks"]:
        parts.append((block.get("text") or {}).get("text", ""))
        parts += [e["text"] for e in block.get("elements", []) if block["type"] == "context"]
    return "\n".join(parts)


def with_state(view: dict[str, Any], channel: str, query: str) -> dict[str, Any]:
    """The modal as Slack sends it back: its id and what the person entered."""
    values = {
        CHANNEL: {CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
        QUERY: {QUERY: {"type": "plain_text_input", "value": query}},
    }
    return {**view, "id": "V9", "hash": "h9", "state": {"values": values}}


def test_home_lists_the_channels_with_what_each_follows_and_the_buttons(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    lab.say('subscribe "world model"')
    view = open_home(lab)
    assert f'<#{lab.channel}> follows `robotics`, `"world model"`' in texts(view)
    [controls] = [b for b in view["blocks"] if b.get("block_id") == f"channel-{lab.channel}"]
    button, select = controls["elements"]
    assert (button["action_id"], button["value"]) == (OPEN_SUBSCRIBE, lab.channel)
    assert [o["text"]["text"] for o in select["options"]] == ["robotics", '"world model"']
    assert "Saved papers" not in texts(view)  # nothing saved yet: the section is not drawn


def test_home_shows_my_own_feed_and_nobody_elses(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    lab.say("subscribe reinforcement-learning for me")
    lab.say('subscribe "diffusion policy" for me', user="U2")

    mine = texts(open_home(lab))
    assert "Your own feed" in mine and "You follow `reinforcement-learning`" in mine
    assert "diffusion policy" not in mine  # U2's feed is theirs alone, and not a channel of the workspace
    assert f"<#{lab.channel}> follows `robotics`" in mine and "<#@" not in mine
    theirs = texts(open_home(lab, user="U2"))
    assert 'You follow `"diffusion policy"`' in theirs and "You follow `reinforcement-learning`" not in theirs


def test_home_lists_the_papers_i_saved_and_not_what_others_saved(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("save 2608.19880")
    lab.say("save https://arxiv.org/abs/2608.20335", user="U2")

    mine = texts(open_home(lab))
    assert "Saved papers" in mine and "EnvHarness: Awakening Static Worlds" in mine
    assert "4DAnyone" not in mine
    assert "4DAnyone" in texts(open_home(lab, user="U2"))


def test_the_subscribe_modal_previews_on_enter_then_subscribes_and_announces(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    home = open_home(lab)
    click(lab, {"type": "button", "action_id": OPEN_SUBSCRIBE, "value": lab.channel, "block_id": "b"}, home)
    modal = last_view(slack, "views.open")
    assert modal["callback_id"] == SUBSCRIBE_MODAL
    assert modal["blocks"][0]["element"]["initial_conversation"] == lab.channel

    typed = with_state(modal, lab.channel, "reinforcement-learning")
    click(
        lab,
        {"type": "plain_text_input", "action_id": QUERY, "block_id": QUERY, "value": "reinforcement-learning"},
        typed,
    )
    previewed = last_view(slack, "views.update")
    assert "papers a day" in texts(previewed) and "`reinforcement-learning`" in texts(previewed)
    assert slack.state.calls_to("views.update")[-1]["view_id"] == "V9"
    assert "1." not in lab.say("list")  # a preview subscribes nothing

    before = len(slack.state.calls_to("views.publish"))
    interact(lab, {"type": "view_submission", "view": with_state(previewed, lab.channel, "reinforcement-learning")})
    assert "1. `reinforcement-learning`" in lab.say("list")
    [announced] = [p for p in slack.state.calls_to("chat.postMessage") if p["channel"] == lab.channel]
    assert announced["text"].startswith("<@U1> subscribed this channel to `reinforcement-learning`")
    assert len(slack.state.calls_to("views.publish")) == before + 1  # Home redrawn with the new subscription


def test_a_query_chat_would_refuse_is_shown_under_the_field(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    response = interact(
        lab,
        {
            "type": "view_submission",
            "view": with_state(subscribe_modal(lab.channel), lab.channel, "reinforcment-learning"),
        },
    )
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors" and "Did you mean reinforcement-learning" in answer["errors"][QUERY]
    assert "1." not in lab.say("list")


def test_unsubscribing_from_home_removes_the_query_chosen(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    lab.say("subscribe computer-vision")
    home = open_home(lab)
    [controls] = [b for b in home["blocks"] if b.get("block_id") == f"channel-{lab.channel}"]
    option = controls["elements"][1]["options"][1]
    click(lab, {"type": "static_select", "action_id": UNSUBSCRIBE, "block_id": "b", "selected_option": option}, home)
    assert "computer-vision" not in lab.say("list") and "1. `robotics`" in lab.say("list")

    lab.say("unsubscribe all")  # the list changed since Home was drawn: an old choice removes nothing
    lab.say("subscribe robotics")
    lab.say("subscribe databases")
    click(lab, {"type": "static_select", "action_id": UNSUBSCRIBE, "block_id": "b", "selected_option": option}, home)
    assert "2. `databases`" in lab.say("list")


def test_a_refusal_after_the_form_closed_is_told_to_that_person_alone(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    interact(
        lab, {"type": "view_submission", "view": with_state(subscribe_modal(lab.channel), lab.channel, "robotics")}
    )
    [told] = slack.state.calls_to("chat.postEphemeral")
    assert (told["channel"], told["user"]) == (lab.channel, "U1") and "already follows" in told["text"]
    assert [p for p in slack.state.calls_to("chat.postMessage") if p["channel"] == lab.channel] == []


def test_who_may_not_change_sees_the_channels_without_buttons(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    viewer = workspace_for(papers, slack, Permissions("admins", []))
    view = open_home(viewer, user="U7")
    assert f"<#{lab.channel}> follows `robotics`" in texts(view)
    assert "Only workspace admins" in texts(view)
    assert not [b for b in view["blocks"] if b["type"] == "actions"]


def test_home_and_modal_views_of_hostile_and_oversized_content_validate() -> None:
    nasty = "<!channel> *x* `q` & " * 40
    paper = Paper(title=nasty * 5, abstract=nasty * 50, arxiv_id="2601.00001", authors=(nasty,) * 30, upvotes=3)
    follows = ChannelFollows(ChannelRef("slack", "T1", "C1"), (nasty[:400],) * 25, Schedule(), nasty)
    home = Home(Actor("U1", "ana"), (follows,) * 15, more_channels=40, saved=(paper,) * 12)
    view = valid(home_view(home))
    assert len(view["blocks"]) <= 100 and "<!channel>" not in texts(view)  # mrkdwn: escaped; plain_text never pings
    run = r.DryRun(nasty[:400], nasty, 40.0, 7, (Match(paper, 1.0, (nasty,)),) * 3, nasty)
    for shown in (run, r.Problem(nasty * 10), None):
        assert "<!channel>" not in texts(valid(subscribe_modal("C1", nasty * 3, shown)))


def unsubscribe_option(channel: str, number: int, query: str) -> dict[str, Any]:
    """An Unsubscribe menu's option as Slack sends it back: its value can be anything the sender wrote."""
    return {"text": {"type": "plain_text", "text": query}, "value": f"{channel} {number} {query_check(query)}"}


def test_a_private_channel_is_listed_only_to_its_members(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics")
    slack.state.private[lab.channel] = {"U2"}
    assert lab.channel not in json.dumps(open_home(lab, user="U1"))  # not even in a button's value
    assert f"<#{lab.channel}> follows `robotics`" in texts(open_home(lab, user="U2"))


def test_a_forged_unsubscribe_of_someone_elses_feed_is_refused(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    owner = "U" + uuid.uuid4().hex[:8].upper()
    lab.say("subscribe robotics for me", user=owner)
    home = open_home(lab)
    forged = unsubscribe_option(f"@{owner}", 1, "robotics")
    click(lab, {"type": "static_select", "action_id": UNSUBSCRIBE, "block_id": "b", "selected_option": forged}, home)
    assert texts(last_view(slack, "views.publish")).startswith(":warning: " + NOT_MEMBER)
    assert "You follow `robotics`\n" in texts(open_home(lab, user=owner))  # nothing changed
    assert slack.state.calls_to("chat.postMessage") == []  # and nothing announced


def test_a_forged_unsubscribe_in_a_private_channel_i_am_not_in_is_refused(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    lab.say("subscribe robotics", user="U2")
    slack.state.private[lab.channel] = {"U2"}
    forged = unsubscribe_option(lab.channel, 1, "robotics")
    click(lab, {"type": "static_select", "action_id": UNSUBSCRIBE, "block_id": "b", "selected_option": forged}, {})
    assert texts(last_view(slack, "views.publish")).startswith(":warning: " + NOT_MEMBER)
    assert "1. `robotics`" in lab.say("list", user="U2")
    assert [p for p in slack.state.calls_to("chat.postMessage") if p["channel"] == lab.channel] == []


def test_the_modal_refuses_someone_elses_feed_and_a_private_channel_i_am_not_in(papers: App, slack: SlackAPI) -> None:
    lab = workspace_for(papers, slack)
    slack.state.private[lab.channel] = {"U2"}
    for conversation in ("@U2", lab.channel, "D0NOTMINE"):
        view = with_state(subscribe_modal(conversation), conversation, "robotics")
        answer = json.loads(interact(lab, {"type": "view_submission", "view": view}).body)
        assert answer == {"response_action": "errors", "errors": {CHANNEL: NOT_MEMBER}}
    assert "1." not in lab.say("list", user="U2")
    slack.state.private[lab.channel].add("U1")  # a member may (once the bot's short memory of members has passed)
    later = dataclasses.replace(workspace_for(papers, slack), channel=lab.channel)
    interact(later, {"type": "view_submission", "view": with_state(subscribe_modal(""), lab.channel, "robotics")})
    assert "1. `robotics`" in lab.say("list")

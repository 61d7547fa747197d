"""The journal club on Slack: the vote as one message with a button per paper and live counts, posted with the
bot's token (its `ts` is kept, to update it), the clicks, and the message shown closed at the end."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import slack_bolt
from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.jobs import Jobs, respond_to, stored, team_of
from adapters.slack.render import MAX_SECTION, line, safe_url
from adapters.slack.replays import request_key
from adapters.slack.translator import Translator
from bot.chat.replies import Problem, Reply
from bot.club.chat import posted, vote
from bot.club.closing import Counted
from bot.club.replies import ClubBallot, VoteNoted
from bot.domain import ChannelRef
from bot.wording import clock_time, plural

log = logging.getLogger(__name__)

Block = dict[str, Any]
VOTE_ACTION = re.compile(r"^papers_club_vote_(\d+)$")  # one action id a button: Slack wants them unique in a block
VALUE = re.compile(r"^(\d{1,12}):(\d{1,2})$")  # club id : paper position


def ballot_blocks(ballot: ClubBallot) -> list[Block]:
    """The vote: the question, each paper numbered with its count and (while open) its button, and when it closes."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": ballot.question()[:150], "emoji": True}}
    ]
    for i, match in enumerate(ballot.matches):
        title = line(match.paper.title, 250)
        url = safe_url(match.paper.abs_url)
        named = f"<{url}|{title}>" if url else title
        block: Block = {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{i + 1}.* {named}  ·  {plural(ballot.count(i), 'vote')}"[:MAX_SECTION],
            },
        }
        if not ballot.closed:
            block["accessory"] = {
                "type": "button",
                "action_id": f"papers_club_vote_{i}",
                "text": {"type": "plain_text", "text": f"Vote {i + 1}"},
                "value": f"{ballot.club_id}:{i}",
            }
        blocks.append(block)
    state = "closed" if ballot.closed else f"closes {clock_time(ballot.closes_at, never='')}"
    note = "one vote a person: another paper moves it, the same paper takes it back"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Vote {state} · {note}"}]})
    return blocks


def message_of(ballot: ClubBallot) -> dict[str, Any]:
    return {"text": ballot.question(), "blocks": ballot_blocks(ballot)}


def opened(translator: Translator, client: WebClient, channel_id: str, reply: Reply) -> Reply | None:
    """Post a club's vote with the bot's token (a response_url message has no `ts` to update) and open it;
    None for any other reply, a Problem when Slack refused the post."""
    if not isinstance(reply, ClubBallot):
        return None
    try:
        ts = str(client.chat_postMessage(channel=channel_id, **message_of(reply))["ts"])
    except SlackApiError as error:
        code = error.response.get("error", "error")
        log.warning("could not post journal club %d to %s: %s", reply.club_id, channel_id, code)
        invite = " Invite me to it first." if code in ("not_in_channel", "channel_not_found") else ""
        return Problem(f"I could not post the vote in this channel (Slack said {code}).{invite}")
    posted(translator.app.service, reply.club_id, [ts])
    return VoteNoted(f"The vote is open: {plural(len(reply.matches), 'paper')}, {reply.hours} hours.")


def register_club(bolt: slack_bolt.App, translator: Translator, jobs: Jobs) -> None:
    """A click on a paper's Vote button: acked at once; then counted, the message updated for everyone, the voter
    told alone (through the inbox, as every click: adapters/slack/jobs.py)."""

    @bolt.action(VOTE_ACTION)
    def on_vote(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        jobs.defer("command", "vote", request_key(body), team_of(body), {"body": stored(body), "action": action})
        ack()

    @jobs.job("vote")
    def counted(payload: dict[str, Any], client: WebClient) -> None:
        body, action = payload["body"], payload["action"]
        respond = respond_to(body)
        found = VALUE.match(str(action.get("value", "")))
        if found is None:
            respond(text="That button is not one of mine.", response_type="ephemeral", replace_original=False)
            return
        user, team = body.get("user") or {}, (body.get("team") or {}).get("id", "")
        where = ChannelRef("slack", team or user.get("team_id", ""), (body.get("channel") or {}).get("id", ""))
        noted = vote(translator.app.service, where, int(found[1]), user.get("id", ""), int(found[2]))
        if noted.ballot is not None:
            channel, ts = (body.get("channel") or {}).get("id", ""), (body.get("message") or {}).get("ts", "")
            try:
                client.chat_update(channel=channel, ts=ts, **message_of(noted.ballot))
            except SlackApiError as error:  # counted all the same: the next click or the closing shows it
                log.warning("could not update a journal club's counts: %s", error.response.get("error"))
        respond(text=noted.message, response_type="ephemeral", replace_original=False)


class SlackClubs:
    """At closing: Slack's votes are the bot's own (no count to ask for); the vote's message is shown closed."""

    def __init__(self, client_for: Callable[[str], WebClient]) -> None:
        self.client_for = client_for

    def results(self, channel: ChannelRef, message_ids: tuple[str, ...], papers: int) -> Counted | None:
        return None

    def show_closed(self, channel: ChannelRef, message_ids: tuple[str, ...], ballot: ClubBallot) -> None:
        if message_ids:
            self.client_for(channel.workspace).chat_update(
                channel=channel.channel, ts=message_ids[0], **message_of(ballot)
            )

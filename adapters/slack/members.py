"""Who may see a conversation: a public channel anyone in the workspace; a private one, a group DM or a DM its members."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# A conversation id of Slack's (C…, G…, D…): `@U2` (a person's own feed) or anything else is no channel to change.
CONVERSATION = re.compile(r"[CGD][A-Z0-9]{2,20}")
MEMBERS_TTL = 60.0  # seconds: someone who just left a private channel sees it in Home for at most this long
INFO_TTL = 600.0  # whether a channel is private changes rarely
NOT_MEMBER = "You can only change the papers of channels you are a member of."


@dataclass(frozen=True)
class Conversation:
    """What conversations.info says of one conversation: private or not, and a DM's other person."""

    private: bool
    direct_with: str | None = None


class Membership:
    """`may_see(client, team, user, channel)`, from conversations.info and conversations.members, briefly cached.

    Fails closed: without a token, or when Slack does not answer, nobody sees a conversation."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._info: dict[tuple[str, str], tuple[float, Conversation | None]] = {}
        self._members: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._guard = threading.Lock()

    def may_see(self, client: WebClient, team: str, user: str, channel: str) -> bool:
        if not CONVERSATION.fullmatch(channel) or not client.token:
            return False
        conversation = self.conversation(client, team, channel)
        if conversation is None:
            return False
        if conversation.direct_with is not None:
            return conversation.direct_with == user
        return not conversation.private or user in self.members(client, team, channel)

    def conversation(self, client: WebClient, team: str, channel: str) -> Conversation | None:
        key = (team, channel)
        with self._guard:
            cached = self._info.get(key)
        if cached and cached[0] > self.clock():
            return cached[1]
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            log.info("conversations.info %s in %s: %s", channel, team, error.response.get("error"))
            return None  # not cached: a transient failure hides a channel only this once
        found = Conversation(bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim")))
        if info.get("is_im"):
            found = Conversation(True, str(info.get("user") or ""))
        with self._guard:
            self._info[key] = (self.clock() + INFO_TTL, found)
        return found

    def members(self, client: WebClient, team: str, channel: str) -> frozenset[str]:
        key = (team, channel)
        with self._guard:
            cached = self._members.get(key)
        if cached and cached[0] > self.clock():
            return cached[1]
        found: set[str] = set()
        try:
            for page in client.conversations_members(channel=channel, limit=1000):
                found.update(str(member) for member in page.get("members") or [])
        except SlackApiError as error:
            log.info("conversations.members %s in %s: %s", channel, team, error.response.get("error"))
            return frozenset()
        with self._guard:
            self._members[key] = (self.clock() + MEMBERS_TTL, frozenset(found))
        return frozenset(found)

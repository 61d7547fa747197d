"""The Discord stand-in with forum channels: their tags (PATCH available_tags), posts (POST .../threads), and the
guild's active threads, where the sender finds its posts again after a crash; random 429s for storm tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.discord_api import BOT_ID, Call, DiscordStandIn, answer
from tests.discord_form_errors import form_errors

FORUM = "300"


def too_long(field_name: str) -> dict[str, Any]:
    return {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {field_name: {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}},
    }


@dataclass
class ForumStandIn(DiscordStandIn):
    """`forums` maps a forum channel id to its tags; `cannot_manage` forums refuse tag changes (no Manage Channels);
    `rate_429` is the chance that a post (message or forum post) answers 429."""

    forums: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {FORUM: []})
    cannot_manage: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)  # forums that are media channels (type 16)
    tag_required: set[str] = field(default_factory=set)  # forums whose posts need a tag (flag REQUIRE_TAG)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)  # forum post id -> the thread
    rate_429: float = 0.0
    chance: random.Random = field(default_factory=random.Random)

    def forum_posts(self, forum: str = FORUM) -> list[dict[str, Any]]:
        """The forum's posts, oldest first, each with its first message under `message`."""
        return [t | {"message": self.messages[i][0]} for i, t in self.threads.items() if t["parent_id"] == forum]

    def tag_names(self, forum: str = FORUM) -> list[str]:
        return [t["name"] for t in self.forums[forum]]

    def forum(self, forum: str) -> dict[str, Any]:
        return {
            "id": forum,
            "type": 16 if forum in self.media else 15,
            "guild_id": "100",
            "name": "papers-forum",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "flags": 16 if forum in self.tag_required else 0,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 60,
            "default_thread_rate_limit_per_user": 0,
            "available_tags": self.forums[forum],
            "default_reaction_emoji": None,
            "default_sort_order": None,
            "default_forum_layout": 0,
        }

    def _channel(self, method: str, parts: list[str], body: Any, call: Call) -> web.Response:
        channel = parts[1]
        if channel in self.forums:
            if len(parts) == 2 and method == "GET":
                return answer(self.forum(channel))
            if len(parts) == 2 and method == "PATCH":
                return self._tags(channel, body, call)
            if parts[2:] == ["threads"] and method == "POST":
                return self._post(channel, body, call)
            if parts[2:] == ["threads", "archived", "public"]:
                return answer({"threads": [], "members": [], "has_more": False})
        if channel in self.threads and method == "GET" and len(parts) == 4 and parts[2] == "messages":
            return answer(self.messages[channel][0])
        return super()._channel(method, parts, body, call)

    def _other(self, method: str, parts: list[str], body: Any, call: Call) -> web.Response:
        if method == "GET" and parts[0] == "guilds" and parts[2:] == ["threads", "active"]:
            return answer({"threads": list(self.threads.values()), "members": []})
        return super()._other(method, parts, body, call)

    def _tags(self, forum: str, body: dict[str, Any], call: Call) -> web.Response:
        if forum in self.cannot_manage:
            call.status = 403
            return answer({"message": "Missing Permissions", "code": 50013}, 403)
        asked = body.get("available_tags", [])
        if len(asked) > 20 or any(len(t["name"]) > 20 for t in asked):
            call.status = 400
            return answer(too_long("available_tags"), 400)
        self.forums[forum] = [
            {"id": str(t.get("id") or next(self._ids)), "name": t["name"], "moderated": bool(t.get("moderated"))}
            | {"emoji_id": t.get("emoji_id"), "emoji_name": t.get("emoji_name")}
            for t in asked
        ]
        return answer(self.forum(forum))

    def _post(self, forum: str, body: dict[str, Any], call: Call) -> web.Response:
        if self.chance.random() < self.rate_429:
            return self.too_many(call)
        tags = {t["id"] for t in self.forums[forum]}
        applied = body.get("applied_tags") or []
        errors = form_errors(body.get("message") or {})
        if errors or len(body.get("name", "")) > 100 or len(applied) > 5 or not set(applied) <= tags:
            call.status = 400
            return answer({"message": "Invalid Form Body", "code": 50035, "errors": errors or {"name": {}}}, 400)
        if forum in self.tag_required and not applied:
            call.status = 400
            return answer({"message": "A tag is required to create a forum post in this channel", "code": 40067}, 400)
        message = self._message(forum, body["message"])
        message["channel_id"] = message["id"]  # a forum post's first message has the post's id
        thread = {
            "id": message["id"],
            "type": 11,
            "guild_id": "100",
            "parent_id": forum,
            "owner_id": BOT_ID,
            "name": body["name"],
            "last_message_id": message["id"],
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": applied,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 60),
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        self.threads[message["id"]] = thread
        self.messages[message["id"]] = [message]
        return answer(thread | {"message": message}, 201)

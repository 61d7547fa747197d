"""A local stand-in of Discord's REST API (aiohttp on 127.0.0.1) that records every call and answers like Discord."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord.http
from aiohttp import web

from tests.discord_form_errors import form_errors
from tests.discord_polls import PollMessages, poll_message

BOT_ID = "900000000000000001"
APP_ID = "900000000000000002"
OWNER = {"id": "900000000000000003", "username": "owner", "discriminator": "0", "avatar": None}
BOT = {"id": BOT_ID, "username": "papers-bot", "discriminator": "0", "avatar": None, "bot": True}


@dataclass
class Call:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    status: int = 200


@dataclass
class DiscordStandIn(PollMessages):
    """Start with `with DiscordStandIn() as api:`; discord.py's Route.BASE points here until the block ends.

    `channels` are the channel ids that exist (others answer 404 Unknown Channel); `forbidden` answer
    403 Missing Access; `rate_limit_next(n)` makes the next n message posts answer 429 with retry_after.
    """

    channels: set[str] = field(default_factory=lambda: {"200", "201"})
    forbidden: set[str] = field(default_factory=set)
    guild_count: int = 3
    retry_after: float = 0.05
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel or thread id -> oldest first
    attachments: dict[str, bytes] = field(default_factory=dict)  # name -> what GET /attachments/<name> serves
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)  # message id -> a message holding a poll
    finalise_at_once: bool = True  # whether ending a poll makes its count final at once (Discord: a moment later)
    spec_checked: bool = True  # on leaving, each request body is checked against tests/discord_spec
    _rate_limits: int = 0
    _refusals: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1_000_000_000_000_000_000))

    def __enter__(self) -> DiscordStandIn:
        self._loop = asyncio.new_event_loop()
        self._server = threading.Thread(target=self._loop.run_forever, name="discord-stand-in", daemon=True)
        self._server.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        self._old_base = discord.http.Route.BASE
        discord.http.Route.BASE = f"http://127.0.0.1:{self.port}/api/v10"
        return self

    def __exit__(self, *exc: object) -> None:
        discord.http.Route.BASE = self._old_base
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._server.join(5)
        if exc[0] is None and self.spec_checked:  # every body the bot sent, against Discord's published spec
            from tests.discord_openapi import assert_calls_valid

            assert_calls_valid([c for c in self.calls if c.status != 400])  # a 400 was meant: the test made it

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{path:.*}", self._handle)
        app.router.add_route("GET", "/attachments/{name}", self._attachment)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # --- what tests read ------------------------------------------------------------------

    def rate_limit_next(self, times: int = 1) -> None:
        self._rate_limits += times

    def refuse_next(self, times: int = 1) -> None:
        """The next message posts answer 400/50035 whatever they hold (as an embed URL Discord dislikes would)."""
        self._refusals += times

    def refused(self) -> list[Call]:
        return [c for c in self.calls if c.status == 400]

    def posts(self, path_part: str = "") -> list[Call]:
        return [c for c in self.calls if c.method in ("POST", "PATCH") and path_part in c.path]

    def message_from(self, call: Call) -> dict[str, Any]:
        """The message an interaction answer made, as a later interaction on it would carry it."""
        return self._message("200", call.body.get("data", call.body) if isinstance(call.body, dict) else {})

    def answers(self) -> list[Call]:
        """What the bot said to interactions: callbacks, follow-ups, edits and deletions, in order."""
        return [c for c in self.calls if c.path.startswith(("/interactions/", "/webhooks/"))]

    def statuses(self, path_part: str = "") -> list[int]:
        return [c.status for c in self.calls if path_part in c.path]

    # --- answering ------------------------------------------------------------------------

    def attachment_url(self, name: str) -> str:
        """Where a file attached to an interaction can be read, as Discord's CDN serves it."""
        return f"http://127.0.0.1:{self.port}/attachments/{name}"

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["name"])
        return web.Response(body=data, content_type="application/octet-stream") if data is not None else answer({}, 404)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.content_type.startswith("multipart/"):  # a message with files: payload_json plus each file
            form = await request.post()
            body: Any = json.loads(str(form["payload_json"]))
            files = [(f.filename, f.file.read().decode()) for f in form.values() if isinstance(f, web.FileField)]
            if isinstance(body, dict):
                target = body.get("data") if isinstance(body.get("data"), dict) else body
                target["files_sent"] = files
        else:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else raw.decode() or None
        path = "/" + request.match_info["path"]
        call = Call(request.method, path, body, dict(request.query))
        self.calls.append(call)
        parts = path.strip("/").split("/")
        message = (body.get("data") if parts[0] == "interactions" else body) if isinstance(body, dict) else None
        errors = form_errors(message) if isinstance(message, dict) and request.method in ("POST", "PATCH") else None
        if errors:
            call.status = 400
            return answer({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)
        route = (request.method, *[p if not p.isdigit() else "#" for p in parts])
        if route == ("GET", "users", "@me"):
            return answer(BOT)
        if route == ("GET", "oauth2", "applications", "@me"):
            return answer(application(self.guild_count))
        if route == ("POST", "users", "@me", "channels") and isinstance(body, dict):  # the bot's DM with a user
            return answer(self._direct(str(body.get("recipient_id", ""))))
        polled = route in (("GET", "channels", "#", "messages", "#"), ("POST", "channels", "#", "polls", "#", "expire"))
        if polled and (parts[3] in self.polls or route[-1] == "expire"):  # other messages: a forum post's first
            status, found = self.poll_route(parts[3], ended=parts[-1] == "expire")
            return answer(found, status)
        if parts[0] == "channels":
            return self._channel(request.method, parts, body, call)
        if parts[0] == "applications" and request.method == "PUT":  # command sync: echo with ids
            return answer(
                [  # a message command has no description; Discord answers an empty one
                    {"description": ""} | cmd | {"id": str(next(self._ids)), "application_id": APP_ID, "version": "1"}
                    for cmd in body
                ]
            )
        if parts[0] == "interactions":
            return answer(callback(parts[1], body, self.keep_poll(self._message("200", body.get("data") or {}))))
        if parts[0] == "webhooks":
            if request.method == "DELETE":
                return web.Response(status=204)
            return answer(self.keep_poll(self._message("200", body if isinstance(body, dict) else {})))
        return self._other(request.method, parts, body, call)

    def _other(self, method: str, parts: list[str], body: Any, call: Call) -> web.Response:
        """A route this stand-in does not know (tests/discord_forum_api.py knows some more)."""
        return answer({"message": "404: Not Found", "code": 0}, 404)

    def _direct(self, user: str) -> dict[str, Any]:
        """A direct message channel with one user: the same id every time (`9` + the user's id), as Discord answers."""
        channel = "9" + user
        self.channels.add(channel)
        recipient = {"id": user, "username": f"user{user}", "discriminator": "0", "avatar": None, "global_name": None}
        return {"id": channel, "type": 1, "recipients": [recipient], "last_message_id": None}

    def _channel(self, method: str, parts: list[str], body: Any, call: Call) -> web.Response:
        channel = parts[1]
        if channel in self.forbidden:
            return answer({"message": "Missing Access", "code": 50001}, 403)
        if channel not in self.channels and channel not in self.messages:
            return answer({"message": "Unknown Channel", "code": 10003}, 404)
        if method == "GET" and len(parts) == 2:  # the channel itself, or a thread the bot started
            thread = self.thread(channel)
            if thread:
                return answer(thread)
            return answer(
                {
                    "id": channel,
                    "type": 0,
                    "guild_id": "100",
                    "name": "papers",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "flags": 0,
                }
            )
        if method == "GET":
            limit = int(call.query.get("limit", 50))
            return answer(list(reversed(self.messages.get(channel, [])))[:limit])
        if len(parts) == 5 and parts[4] == "threads":
            return self._thread(channel, parts[3], body)
        if self._refusals:
            self._refusals -= 1
            call.status = 400
            return answer(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"embeds": {"0": {"url": {"_errors": [{"code": "URL_TYPE_INVALID_URL"}]}}}},
                },
                400,
            )
        if self._rate_limits:
            self._rate_limits -= 1
            return self.too_many(call)
        same = [
            m
            for m in self.messages.get(channel, [])
            if body.get("enforce_nonce") and m.get("nonce") == body.get("nonce")
        ]
        if same:  # Discord answers the earlier message instead of posting the same one twice
            return answer(same[0])
        message = self._message(channel, body)
        self.messages.setdefault(channel, []).append(message)
        return answer(message)

    def too_many(self, call: Call) -> web.Response:
        call.status = 429
        return answer(
            {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False},
            429,
            {
                "Retry-After": "1",
                "Via": "1.1 google",
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(self.retry_after),
                "X-RateLimit-Bucket": "messages",
                "X-RateLimit-Scope": "user",
            },
        )

    def thread(self, thread_id: str) -> dict[str, Any] | None:
        """The thread started from message `thread_id` (a thread has its first message's id), if any."""
        started = (m.get("thread") for ms in self.messages.values() for m in ms if m["id"] == thread_id)
        return next((t for t in started if t), None)

    def _thread(self, channel: str, message_id: str, body: dict[str, Any]) -> web.Response:
        if message_id in self.messages:
            return answer({"message": "A thread has already been created for this message", "code": 160004}, 400)
        parent = next(m for m in self.messages[channel] if m["id"] == message_id)
        thread = {
            "id": message_id,
            "type": 11,
            "name": body["name"],
            "parent_id": channel,
            "guild_id": "100",
            "owner_id": BOT_ID,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        parent["thread"] = thread
        self.messages[message_id] = []
        return answer(thread, 201)

    def _message(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel,
            "author": BOT,
            "type": 0,
            "tts": False,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "flags": body.get("flags", 0),
            "nonce": body.get("nonce"),
            "allowed_mentions": body.get("allowed_mentions"),
        } | ({"poll": poll_message(body["poll"])} if body.get("poll") else {})


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when the content type is exactly application/json (no charset)
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers)


def application(guilds: int) -> dict[str, Any]:
    return {
        "id": APP_ID,
        "name": "papers-bot",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": OWNER,
        "verify_key": "0" * 64,
        "flags": 0,
        "approximate_guild_count": guilds,
    }


def callback(interaction_id: str, body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    kind = body["type"]
    flags = (body.get("data") or {}).get("flags", 0)
    resource: dict[str, Any] = {"type": kind}
    if kind in (4, 7):
        resource["message"] = message
    return {
        "interaction": {
            "id": interaction_id,
            "type": 2,
            "response_message_id": message["id"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & 64),
        },
        "resource": resource,
    }

"""The Web API stand-in of tests/slack_server.py, extended with what the app side needs.

Adds `users.info`, `conversations.info` and `.members` (from `private` channels and `directs`; any
other C… is public), `chat.postEphemeral`, `chat.update`, `oauth.v2.access` (answers with an installation),
response URLs (`POST /respond/<id>`, recorded as `responses`), `chat.unfurl`, `views.publish`,
`views.open`, `views.update`, the three steps of `files_upload_v2` (uploads kept in `uploads`),
file downloads (`GET /files/<id>` with the bot token, from `files`), and bot tokens of installed
workspaces next to the stand-in's single `xoxb-test`. As a process of its own
(`python -m tests.slack_api --port 8099`) `GET /_state` also lists the responses.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from slack_sdk.signature import SignatureVerifier

from tests.slack_server import TOKEN, SlackServer, SlackState, _Handler, blocks_problem

SECRET = "test-signing-secret"
_event_ids = itertools.count(1)


@dataclass
class SlackAppState(SlackState):
    admins: set[str] = field(default_factory=set)  # user ids users.info reports as workspace admins
    zones: dict[str, str] = field(default_factory=dict)  # user id -> the `tz` users.info reports
    install_team: str = "T9"  # the workspace oauth.v2.access installs
    installed: dict[str, str] = field(default_factory=dict)  # bot token -> team id, filled by oauth.v2.access
    responses: list[dict[str, Any]] = field(default_factory=list)  # every message posted to a response_url
    refused: list[dict[str, Any]] = field(default_factory=list)  # response_url messages refused for their blocks
    tokens_seen: list[tuple[str, str]] = field(default_factory=list)  # (method, bearer token)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> filename, content, channel
    files: dict[str, bytes] = field(default_factory=dict)  # file id -> what GET /files/<id> serves
    views: list[dict[str, Any]] = field(default_factory=list)  # every view published, opened or updated
    private: dict[str, set[str]] = field(default_factory=dict)  # private channel id -> its members; other C… are public
    directs: dict[str, str] = field(default_factory=dict)  # a DM's id (D…) -> the person the bot talks to there

    def token_for(self, method: str) -> list[str]:
        with self.lock:
            return [token for name, token in self.tokens_seen if name == method]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.calls if name == method]


class _AppHandler(_Handler):
    state: SlackAppState

    def do_GET(self) -> None:
        if urlparse(self.path).path == "/_state":
            with self.state.lock:
                body = {
                    "messages": self.state.messages,
                    "calls": [c[0] for c in self.state.calls],
                    "responses": self.state.responses,
                }
            return self._answer(200, body)
        path = urlparse(self.path).path.strip("/")
        if path.startswith("files/"):
            return self._download(path.removeprefix("files/"))
        super().do_GET()

    def _download(self, file_id: str) -> None:
        with self.state.lock:
            self.state.calls.append(("files.download", {"id": file_id}))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._plain(302, "login first")  # Slack answers a token-less download with its login page
        data = self.state.files.get(file_id)
        if data is None:
            return self._plain(404, "no such file")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        path = urlparse(self.path).path.strip("/")
        if path.startswith("upload/"):
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with self.state.lock:
                self.state.uploads.setdefault(path.removeprefix("upload/"), {})["content"] = data.decode()
            return self._plain(200, "OK - 0")
        if path.startswith("respond/"):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            message = {"url": path, **json.loads(raw or "{}")}
            problem = blocks_problem(message.get("blocks"))
            with self.state.lock:
                (self.state.refused if problem else self.state.responses).append(message)
            return self._plain(400, problem) if problem else self._plain(200, "ok")
        if path == "oauth.v2.access":
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            return self._answer(200, self._installation(dict(parse_qsl(raw))))
        self._note_token(path)
        super().do_POST()

    def _note_token(self, method: str) -> None:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.state.lock:
            self.state.tokens_seen.append((method, token))
            installed = token in self.state.installed
        if installed:
            # The base stand-in knows one token; an installed workspace's token counts as valid too.
            del self.headers["Authorization"]
            self.headers["Authorization"] = f"Bearer {TOKEN}"

    def _plain(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _installation(self, params: dict[str, str]) -> dict[str, Any]:
        team = self.state.install_team
        token = f"xoxb-installed-{team}"
        with self.state.lock:
            self.state.calls.append(("oauth.v2.access", params))
            self.state.installed[token] = team
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "U1"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT9",
            "team": {"id": team, "name": "Nine"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user = str(params.get("user", ""))
        admin = user in self.state.admins
        found = {"id": user, "name": user.lower(), "is_admin": admin, "is_owner": False}
        return 200, {"ok": True, "user": found | ({"tz": self.state.zones[user]} if user in self.state.zones else {})}

    def _chat_unfurl(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        unfurls = params.get("unfurls")
        unfurls = json.loads(unfurls) if isinstance(unfurls, str) else unfurls or {}
        for unfurl in unfurls.values():
            if problem := blocks_problem(unfurl.get("blocks")):
                return 200, {"ok": False, "error": problem}
        return 200, {"ok": True}

    def _view(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict) or len(view.get("blocks", [])) > 100:
            return 200, {"ok": False, "error": "invalid_arguments"}
        with self.state.lock:
            self.state.views.append(view)
            number = len(self.state.views)
        return 200, {"ok": True, "view": {**view, "id": f"V{number}", "hash": f"h{number}"}}

    _views_publish = _views_open = _views_update = _view

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            file_id = f"F{len(self.state.uploads) + 1}"
            self.state.uploads[file_id] = {"filename": params.get("filename")}
        return 200, {"ok": True, "file_id": file_id, "upload_url": f"http://{self.headers['Host']}/upload/{file_id}"}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        channel = params.get("channel_id")
        if channel and (problem := self._channel_problem(str(channel))):
            return 200, problem
        with self.state.lock:
            for item in files:
                self.state.uploads[item["id"]].update(channel=channel, comment=params.get("initial_comment"))
        return 200, {"ok": True, "files": [{"id": item["id"], "title": item.get("title")} for item in files]}

    def _chat_update(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A message of the bot's, changed in place (its text and blocks); `message_not_found` for an unknown ts."""
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        blocks = params.get("blocks")
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        if problem := self._channel_problem(channel) or (
            {"ok": False, "error": e} if (e := blocks_problem(blocks)) else None
        ):
            return 200, problem
        with self.state.lock:
            found = [m for m in self.state.messages.get(channel, []) if m["ts"] == ts]
            if not found:
                return 200, {"ok": False, "error": "message_not_found"}
            found[0].update(text=params.get("text", found[0]["text"]), blocks=blocks)
        return 200, {"ok": True, "channel": channel, "ts": ts, "text": found[0]["text"]}

    def _conversations_info(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        if channel.startswith("D"):
            if channel not in self.state.directs:
                return 200, {"ok": False, "error": "channel_not_found"}
            return 200, {"ok": True, "channel": {"id": channel, "is_im": True, "user": self.state.directs[channel]}}
        return 200, {"ok": True, "channel": {"id": channel, "is_private": channel in self.state.private}}

    def _conversations_members(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        members = sorted(self.state.private.get(str(params.get("channel", "")), set()))
        return 200, {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = blocks_problem(params.get("blocks"))
        if problem:
            return 200, {"ok": False, "error": problem}
        return 200, {"ok": True, "message_ts": "1764000000.000001"}


class SlackAPI(SlackServer):
    """`with SlackAPI() as slack:`: `slack.url` for WebClient, `slack.response_url(id)` for commands."""

    state: SlackAppState

    def __init__(self, state: SlackAppState | None = None, port: int = 0) -> None:
        super().__init__(state or SlackAppState(), port=port)
        self.httpd.RequestHandlerClass = type("Handler", (_AppHandler,), {"state": self.state})
        # A short poll so that stopping the server at the end of a test takes milliseconds, not half a second.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def reset(self) -> SlackAppState:
        """A fresh workspace for the next test, on the same running server."""
        self.state = SlackAppState()
        self.httpd.RequestHandlerClass.state = self.state  # type: ignore[attr-defined]
        return self.state

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}respond/{name}"


# --- what Slack sends the app: signed requests, their retries, uninstall events --------------------


def signed_headers(
    body: str,
    secret: str = SECRET,
    timestamp: int | str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def retried(headers: dict[str, str], number: int, reason: str = "http_timeout") -> dict[str, str]:
    """The same request as Slack sends it again when the ack was late or lost."""
    return headers | {"x-slack-retry-num": str(number), "x-slack-retry-reason": reason}


def event_body(event: dict[str, Any], team: str = "T1", event_id: str | None = None) -> str:
    """An Events API callback as Slack posts it to /slack/events."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
    )


def slash_command(
    text: str, response_url: str, team: str = "T1", channel: str = "C1", user: str = "U1", trigger: str = ""
) -> str:
    """A `/papers` slash command as Slack posts it (form-encoded) to /slack/events."""
    return urlencode(
        {
            "team_id": team,
            "channel_id": channel,
            "user_id": user,
            "user_name": "ana",
            "command": "/papers",
            "text": text,
            "response_url": response_url,
            "trigger_id": trigger or uuid.uuid4().hex,
            "api_app_id": "A1",
        }
    )


def link_shared(url: str, n: int, channel: str = "C1", user: str = "U1") -> str:
    """A `link_shared` event for one link pasted in the channel's n-th message, as Slack posts it."""
    ts = f"1764000000.{n:06d}"
    event = {
        "type": "link_shared",
        "channel": channel,
        "user": user,
        "message_ts": ts,
        "source": "conversations_history",
        "links": [{"domain": urlparse(url).hostname, "url": url}],
        "event_ts": ts,
    }
    return event_body(event)


def mention(text: str, channel: str = "C1", user: str = "U1", ts: str = "1764.000100") -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }


def app_uninstalled() -> dict[str, Any]:
    return {"type": "app_uninstalled"}


def tokens_revoked(bot: bool = True, users: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "tokens_revoked", "tokens": {"oauth": list(users), "bot": ["UBOT"] if bot else []}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    server = SlackAPI(port=parser.parse_args().port)
    print(server.url, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()

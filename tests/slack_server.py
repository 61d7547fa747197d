"""A local stand-in for Slack's Web API that records every call and can be told to misbehave.

In a test: `with SlackServer() as slack: ... slack.url ...`. As a process of its own
(`python -m tests.slack_server --port 8099 --rate-429 0.2 --rate-503 0.05`) it serves the same
API plus `GET /_state` (every call and stored message, as JSON) for checks outside pytest.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

TOKEN = "xoxb-test"


@dataclass
class SlackState:
    """What the fake workspace holds and how it should misbehave."""

    rate_429: float = 0.0
    rate_503: float = 0.0
    retry_after: int = 1
    missing: set[str] = field(default_factory=set)  # channel ids that answer channel_not_found
    outside: set[str] = field(default_factory=set)  # channel ids the bot has not joined
    # Public channels the bot has not joined: chat:write.public lets it post there, but reading history
    # answers not_in_channel until it joins; `unjoinable` ones refuse conversations.join.
    public: set[str] = field(default_factory=set)
    unjoinable: set[str] = field(default_factory=set)
    # Slack's history limits for apps outside the Marketplace: 15 messages a call and one call a minute
    # per method (`history_every` seconds here, so that tests need not wait a minute); None: not limited.
    history_max: int | None = None
    history_every: float = 0.0
    history_retry_after: int = 60
    history_last: dict[str, float] = field(default_factory=dict)
    lost_answers: int = 0  # the next posts land, then answer 503: an outage after the work was done
    script: list[tuple[str, int, str]] = field(default_factory=list)  # (method, status, error) served next
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seq: int = 0
    last_ts: float = 0.0
    random: random.Random = field(default_factory=lambda: random.Random(7))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posted_keys(self) -> Counter[tuple[str, str]]:
        """(channel id, paper key) -> how many messages show that paper, read from their metadata."""
        counts: Counter[tuple[str, str]] = Counter()
        with self.lock:
            for channel, messages in self.messages.items():
                for message in messages:
                    payload = (message.get("metadata") or {}).get("event_payload") or {}
                    counts.update((channel, key) for key in payload.get("papers", []))
        return counts

    def count_all(self) -> int:
        return len(self.calls)  # a list's length is safe to read without the lock

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.calls if name == method)

    def outside_marketplace(self, every: float = 60.0, retry_after: int = 60) -> SlackState:
        """History as a new install of an app distributed outside the Slack Marketplace sees it."""
        self.history_max, self.history_every, self.history_retry_after = 15, every, retry_after
        return self


MAX_BLOCKS, MAX_SECTION, MAX_BLOCK_TEXT = 50, 3000, 12_000


def blocks_problem(blocks: Any) -> str | None:
    """What Slack answers for blocks over its limits: invalid_blocks, or msg_blocks_too_long past ~12,000 characters of text."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return None
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    texts: list[str] = []
    for block in blocks:
        if block.get("type") == "section":
            if len(block["text"]["text"]) > MAX_SECTION:
                return "invalid_blocks"
            texts.append(block["text"]["text"])
        texts += [e.get("text", "") for e in block.get("elements", [])]
        if block.get("type") == "header":
            texts.append(block["text"]["text"])
    return "msg_blocks_too_long" if sum(map(len, texts)) > MAX_BLOCK_TEXT else None


class SlackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0: any free one); `url` ends with `/` as WebClient wants."""

    def __init__(self, state: SlackState | None = None, port: int = 0) -> None:
        self.state = state or SlackState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SlackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    state: SlackState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet in test output
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/_state":
            with self.state.lock:
                body = {"messages": self.state.messages, "calls": [c[0] for c in self.state.calls]}
            return self._answer(200, body)
        self._api(url.path.strip("/"), dict(parse_qsl(url.query)))

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:  # the client died mid-request (kill -9): Slack never sees a request cut short
            self.close_connection = True
            return
        raw = body.decode()
        params = json.loads(raw or "{}") if "json" in (self.headers.get("Content-Type") or "") else dict(parse_qsl(raw))
        params.update(dict(parse_qsl(url.query)))
        self._api(url.path.strip("/"), params)

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _api(self, method: str, params: dict[str, Any]) -> None:
        state = self.state
        with state.lock:
            state.calls.append((method, params))
            scripted = next((s for s in state.script if s[0] in (method, "*")), None)
            if scripted:
                state.script.remove(scripted)
            roll = state.random.random()
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(200, {"ok": False, "error": "invalid_auth"})
        if scripted:
            _, status, error = scripted
            return self._answer(status, {"ok": False, "error": error}, {"Retry-After": str(state.retry_after)})
        if roll < state.rate_429:
            return self._answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(state.retry_after)})
        failing = roll < state.rate_429 + state.rate_503
        # Half of the 503s come after the work was done, as a real outage can: a retry must look first.
        if failing and roll < state.rate_429 + state.rate_503 / 2:
            return self._answer(503, {"ok": False, "error": "service_unavailable"})
        if self._api_limited(method):
            return None
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return self._answer(200, {"ok": False, "error": "unknown_method"})
        status, body = answer(params)
        if method == "chat.postMessage" and body.get("ok") and state.lost_answers > 0:
            with state.lock:
                state.lost_answers -= 1
            failing = True
        if failing:
            return self._answer(503, {"ok": False, "error": "service_unavailable"})
        self._answer(status, body)

    def _channel_problem(self, channel: str, reading: bool = False) -> dict[str, Any] | None:
        if channel in self.state.missing:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.state.outside or (reading and channel in self.state.public):
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _history_limited(self, method: str) -> bool:
        """One call a minute per method (history_every); the caller answers 429 when this says so."""
        state = self.state
        with state.lock:
            now, last = time.monotonic(), state.history_last.get(method)
            if state.history_every and last is not None and now - last < state.history_every:
                return True
            state.history_last[method] = now
            return False

    def _api_limited(self, method: str) -> bool:
        if method in ("conversations.history", "conversations.replies") and self._history_limited(method):
            self._answer(
                429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.state.history_retry_after)}
            )
            return True
        return False

    def _auth_test(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT", "team": "Lab", "user": "papers"}

    def _chat_postMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        problem = self._channel_problem(channel) or (
            {"ok": False, "error": e} if (e := blocks_problem(params.get("blocks"))) else None
        )
        if problem:
            return 200, problem
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self.state.lock:
            self.state.seq += 1  # a ts is the epoch time of the post, as Slack's are, and unique in the channel
            self.state.last_ts = max(time.time(), self.state.last_ts + 0.000001)
            ts = f"{self.state.last_ts:.6f}"
            message = {
                "type": "message",
                "ts": ts,
                "text": params.get("text", ""),
                "user": "UBOT",
                "bot_id": "BBOT",
                "blocks": params.get("blocks"),
                "metadata": metadata,
                "thread_ts": params.get("thread_ts"),
            }
            self.state.messages.setdefault(channel, []).append(message)
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _visible(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if v is not None}
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            shown.pop("metadata", None)  # Slack hides metadata unless asked
        return shown

    def _window(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Newest first, within oldest/latest, `limit` at a time (capped by history_max), with a cursor."""
        inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
        oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or 1e12)
        inside = [
            m
            for m in messages
            if (oldest <= float(m["ts"]) if inclusive else oldest < float(m["ts"])) and float(m["ts"]) <= latest
        ]
        limit = int(params.get("limit") or 100)
        limit = min(limit, self.state.history_max) if self.state.history_max else limit
        start = int(params.get("cursor") or 0)
        page, more = inside[start : start + limit], start + limit < len(inside)
        return 200, {
            "ok": True,
            "messages": [self._visible(m, params) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_history(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        problem = self._channel_problem(channel, reading=True)
        if problem:
            return 200, problem
        with self.state.lock:
            top = [m for m in reversed(self.state.messages.get(channel, [])) if not m.get("thread_ts")]
        return self._window(top, params)

    def _conversations_replies(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        problem = self._channel_problem(channel, reading=True)
        if problem:
            return 200, problem
        with self.state.lock:
            thread = [m for m in self.state.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return 200, {"ok": False, "error": "thread_not_found"}
        return self._window(thread, params)  # oldest first, the parent at the top, as Slack answers

    def _conversations_open(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The bot's direct message with one person: the same id every time, as Slack answers."""
        user = str(params.get("users", ""))
        if not user or "," in user:
            return 200, {"ok": False, "error": "users_list_not_supplied" if not user else "not_supported"}
        return 200, {"ok": True, "channel": {"id": "D" + user}}

    def _conversations_join(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        if channel in self.state.missing:
            return 200, {"ok": False, "error": "channel_not_found"}
        if channel in self.state.unjoinable:
            return 200, {"ok": False, "error": "method_not_supported_for_channel_type"}
        self.state.outside.discard(channel)
        self.state.public.discard(channel)
        return 200, {"ok": True, "channel": {"id": channel}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--rate-503", type=float, default=0.0)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args()
    state = SlackState(rate_429=args.rate_429, rate_503=args.rate_503, retry_after=args.retry_after)
    server = SlackServer(state, port=args.port)
    print(server.url, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()

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
    script: list[tuple[str, int, str]] = field(default_factory=list)  # (method, status, error) served next
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seq: int = 0
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

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/_state":
            with self.state.lock:
                body = {"messages": self.state.messages, "calls": [c[0] for c in self.state.calls]}
            return self._answer(200, body)
        self._api(url.path.strip("/"), dict(parse_qsl(url.query)))

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            params = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
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
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return self._answer(200, {"ok": False, "error": "unknown_method"})
        status, body = answer(params)
        if failing:
            return self._answer(503, {"ok": False, "error": "service_unavailable"})
        self._answer(status, body)

    def _channel_problem(self, channel: str) -> dict[str, Any] | None:
        if channel in self.state.missing:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.state.outside:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _auth_test(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT", "team": "Lab", "user": "papers"}

    def _chat_postMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        channel = str(params.get("channel", ""))
        problem = self._channel_problem(channel)
        if problem:
            return 200, problem
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        with self.state.lock:
            self.state.seq += 1
            ts = f"{1764000000 + self.state.seq}.{self.state.seq:06d}"
            message = {"type": "message", "ts": ts, "text": params.get("text", ""), "user": "UBOT", "bot_id": "BBOT",
                       "blocks": params.get("blocks"), "metadata": metadata, "thread_ts": params.get("thread_ts")}
            self.state.messages.setdefault(channel, []).append(message)
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _visible(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if v is not None}
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            shown.pop("metadata", None)  # Slack hides metadata unless asked
        return shown

    def _conversations_history(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        problem = self._channel_problem(channel)
        if problem:
            return 200, problem
        limit, start = int(params.get("limit") or 100), int(params.get("cursor") or 0)
        with self.state.lock:
            top = [m for m in reversed(self.state.messages.get(channel, [])) if not m.get("thread_ts")]
        page = top[start:start + limit]
        more = start + limit < len(top)
        return 200, {"ok": True, "messages": [self._visible(m, params) for m in page], "has_more": more,
                     "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _conversations_replies(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        with self.state.lock:
            thread = [m for m in self.state.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return 200, {"ok": False, "error": "thread_not_found"}
        return 200, {"ok": True, "messages": [self._visible(m, params) for m in thread], "has_more": False}

    def _conversations_join(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(params.get("channel", ""))
        if channel in self.state.missing:
            return 200, {"ok": False, "error": "channel_not_found"}
        self.state.outside.discard(channel)
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

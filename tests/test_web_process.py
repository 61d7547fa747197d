"""The web process's life under uvicorn: SIGTERM finishes the request in hand and the answers sent later, then exit 0; several workers."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack_api import SlackAPI, signed_headers
from tests.slack_web import WebProcess
from tests.test_slack_http import command_body, eventually, web_env


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


def begin_slowly(web: WebProcess, body: str) -> socket.socket:
    """A signed command whose headers and first half of the body are sent; the rest is the caller's to send."""
    headers = signed_headers(body) | {"Content-Length": str(len(body)), "Host": "papers"}
    head = "POST /slack/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock = socket.create_connection((web.host, web.port), timeout=15)
    sock.sendall(head.encode() + body[: len(body) // 2].encode())
    return sock


def test_sigterm_lets_the_request_in_hand_finish_then_exits_0_in_json(tmp_path: Path, slack: SlackAPI) -> None:
    env = web_env(f"sqlite:///{tmp_path / 'papers.db'}", slack, LOG_FORMAT="json")
    with WebProcess(env, cwd=tmp_path) as web:
        body = command_body(slack, "find attention is all you need", name="respond/in-hand")
        sock = begin_slowly(web, body)
        web.process.send_signal(signal.SIGTERM)  # a deploy, while the command's body is half sent
        assert eventually(lambda: any("Shutting down" in line for line in web.lines))
        sock.sendall(body[len(body) // 2 :].encode())
        answer = sock.recv(4096)
        sock.close()
        assert web.process.wait(30) == 0
    assert answer.startswith(b"HTTP/1.1 200 ")
    # acknowledged at once, answered later through its response URL: that answer was not cut off
    [later] = [r for r in slack.state.responses if r["url"] == "respond/in-hand"]
    assert "Attention Is All You Need" in later["text"] or later["blocks"]
    assert all(json.loads(line) for line in web.stderr.splitlines())
    assert "SIGTERM received: the requests in hand were answered; stopping" in web.stderr


@pytest.mark.slow
def test_web_concurrency_2_serves_from_two_worker_processes_and_stops_cleanly(tmp_path: Path, slack: SlackAPI) -> None:
    env = web_env(f"sqlite:///{tmp_path / 'papers.db'}", slack, WEB_CONCURRENCY="2")
    with WebProcess(env, cwd=tmp_path, start_timeout=120) as web:
        assert eventually(lambda: web.stderr.count("Started server process") == 2, seconds=120)
        body = command_body(slack, "help")
        assert web.request("POST", "/slack/events", body, signed_headers(body))[0] == 200
        web.process.send_signal(signal.SIGTERM)
        assert web.process.wait(60) == 0
    assert web.stderr.count("Finished server process") == 2
    assert "Traceback" not in web.stderr

"""The Slack adapter over real HTTP on 127.0.0.1: signed requests answered, anything else refused."""

from __future__ import annotations

import dataclasses
import http.client
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from adapters.slack.server import NO_SIGNING_SECRET, Running, start
from bot.app import App, build_app
from tests.slack_api import SlackAPI
from tests.test_slack_app import signed_headers, slack_settings


def request(running: Running, method: str, path: str, body: str = "",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One HTTP request to the running adapter: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    try:
        connection.request(method, path, body=body.encode(), headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode()
    finally:
        connection.close()


def eventually(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    """The lazy listener answers in a thread of its own: wait for what it posts."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


def command_body(slack: SlackAPI, text: str, team: str = "T1", user: str = "U1", name: str = "respond/1") -> str:
    return urlencode({"team_id": team, "channel_id": "C1", "user_id": user, "user_name": "ana", "command": "/papers",
                      "text": text, "response_url": slack.url + name, "trigger_id": uuid.uuid4().hex, "api_app_id": "A1"})


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory, slack: SlackAPI) -> Iterator[App]:
    app = build_app(slack_settings(f"sqlite:///{tmp_path_factory.mktemp('http') / 'papers.db'}", slack))
    yield app
    app.engine.dispose()


@pytest.fixture(scope="module")
def running(papers: App) -> Iterator[Running]:
    """HTTP mode as `papers-bot run` starts it (lazy listeners on bolt's own threads), on a free port."""
    server = start(papers, host="127.0.0.1", port=0)
    yield server
    server.stop()


def test_health_check(running: Running) -> None:
    assert request(running, "GET", "/healthz")[::2] == (200, "ok\n")


def test_a_signed_command_is_answered_in_the_http_response(running: Running, slack: SlackAPI) -> None:
    body = command_body(slack, "help")
    status, headers, answer = request(running, "POST", "/slack/events", body, signed_headers(body))
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(answer)["response_type"] == "ephemeral"
    assert "/papers find &lt;text&gt;" in answer


def test_a_slow_command_is_acked_at_once_and_announced_through_the_response_url(running: Running, slack: SlackAPI) -> None:
    body = command_body(slack, "subscribe reinforcement-learning", name="respond/subscribe")
    started = time.monotonic()
    status, _, answer = request(running, "POST", "/slack/events", body, signed_headers(body))
    assert status == 200 and answer == "" and time.monotonic() - started < 2.5
    posted = eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/subscribe"])
    assert posted[0]["response_type"] == "in_channel"
    assert posted[0]["text"].startswith("<@U1> subscribed this channel to `reinforcement-learning`")


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("forge", [
    pytest.param(lambda body: (body, FORM), id="unsigned"),
    pytest.param(lambda body: (body, signed_headers(body, timestamp=int(time.time()) - 301)), id="older-than-5-minutes"),
    pytest.param(lambda body: (body, signed_headers(body, secret="someone-elses")), id="wrong-secret"),
    pytest.param(lambda body: (body + "&text=unsubscribe+all", signed_headers(body)), id="body-changed-after-signing"),
])
def test_requests_not_signed_by_slack_get_401_and_do_nothing(
        running: Running, slack: SlackAPI, forge: Callable[[str], tuple[str, dict[str, str]]]) -> None:
    sent, headers = forge(command_body(slack, "subscribe robotics", name="respond/forged"))
    assert request(running, "POST", "/slack/events", sent, headers)[0] == 401
    time.sleep(0.1)
    assert not [r for r in slack.state.responses if r["url"] == "respond/forged"]


def test_unknown_paths_and_oversized_bodies_are_refused(running: Running) -> None:
    assert request(running, "GET", "/slack/install")[0] == 404  # no OAuth configured
    assert request(running, "POST", "/admin", "x")[0] == 404
    assert request(running, "POST", "/slack/events", "", {"Content-Length": str(10 << 20)})[0] == 413


def test_http_mode_refuses_to_start_without_a_signing_secret(papers: App, capsys: pytest.CaptureFixture[str]) -> None:
    unsigned = dataclasses.replace(papers, settings=papers.settings.model_copy(update={"slack_signing_secret": None}))
    with pytest.raises(SystemExit) as stopped:
        start(unsigned, host="127.0.0.1", port=0)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip() == NO_SIGNING_SECRET


def test_no_secret_reaches_the_logs(running: Running, slack: SlackAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    body = command_body(slack, "find attention", name="respond/logs")
    request(running, "POST", "/slack/events", body, signed_headers(body))
    eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/logs"])
    assert "xoxb-test" not in caplog.text and "test-signing-secret" not in caplog.text


def test_an_app_token_means_socket_mode_through_the_configured_api_url(papers: App, slack: SlackAPI) -> None:
    settings = papers.settings.model_copy(update={"slack_app_token": SecretStr("xapp-test"), "slack_signing_secret": None})
    with pytest.raises(SlackApiError):  # the stand-in knows no app tokens: what matters is where it asked
        start(dataclasses.replace(papers, settings=settings))
    assert slack.state.token_for("apps.connections.open") == ["xapp-test"]

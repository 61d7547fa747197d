"""The `web` process over real HTTP on a loopback address: signed requests answered, anything else refused, never a 500."""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.testclient import TestClient

from adapters.health import loop_problem
from adapters.slack.app import build_slack_app
from adapters.slack.server import NO_SIGNING_SECRET, bind, serve_http, start, web_app
from adapters.slack.web import SlackEndpoints
from bot.app import App, build_app
from bot.config import BadSettings, load_settings
from storage.engine import make_engine
from tests.slack_api import SECRET, SlackAPI, signed_headers, slash_command
from tests.slack_web import WebProcess
from tests.test_slack_app import slack_settings


def eventually(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    """The lazy listener answers in a thread of its own: wait for what it posts."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


def command_body(slack: SlackAPI, text: str, team: str = "T1", user: str = "U1", name: str = "respond/1") -> str:
    return slash_command(text, slack.url + name, team=team, user=user)


def web_env(database_url: str, slack: SlackAPI, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.url,
        "WEB_THREADS": "8",
    } | extra


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


ONLY_HERE = "127.0.0.2"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, slack: SlackAPI) -> Iterator[WebProcess]:
    """`papers-bot run --only slack` as the Procfile starts it, on a free port."""
    folder = tmp_path_factory.mktemp("web")
    # HOST: a loopback address other than 127.0.0.1, so that listening anywhere else would show.
    env = web_env(f"sqlite:///{folder / 'papers.db'}", slack, HOST=ONLY_HERE)
    with WebProcess(env, cwd=folder) as process:
        yield process


def test_it_says_once_where_it_listens_and_the_health_check_asks_the_database(web: WebProcess) -> None:
    assert web.stderr.count("listening on") == 1
    assert web.request("GET", "/healthz")[::2] == (200, "ok: database answered\n")
    status, headers, body = web.request("HEAD", "/healthz")
    assert (status, body) == (200, "") and headers["content-type"].startswith("text/plain")
    assert web.request("POST", "/healthz")[0] == 405


def test_it_listens_on_host_only_and_the_health_check_asks_there(web: WebProcess) -> None:
    assert f"listening on http://{ONLY_HERE}:{web.port} " in web.stderr
    with pytest.raises(ConnectionRefusedError):  # not on every interface: 127.0.0.1 is another address
        http.client.HTTPConnection("127.0.0.1", web.port, timeout=5).connect()
    settings = load_settings(
        database_url="sqlite://", slack_signing_secret=SECRET, slack_bot_token="xoxb-test", port=web.port
    )
    assert loop_problem(settings.model_copy(update={"host": ONLY_HERE}), "slack") is None  # `papers-bot health web`
    assert "does not answer at http://127.0.0.1:" in str(loop_problem(settings, "slack"))  # HOST=0.0.0.0 asks there


def test_host_is_every_interface_unless_set_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOST", raising=False)
    assert bind(load_settings(database_url="sqlite://").host, 3000) == "0.0.0.0:3000"
    assert bind(load_settings(database_url="sqlite://", host="::1").host, 3000) == "[::1]:3000"
    assert load_settings(database_url="sqlite://", host="papers.internal").host == "papers.internal"
    with pytest.raises(BadSettings) as bad:
        load_settings(database_url="sqlite://", host="every interface")
    assert str(bad.value) == (
        "HOST=every interface is not an address to listen on, such as 0.0.0.0 (every interface), "
        "127.0.0.1 or ::; for example HOST=127.0.0.1."
    )


def test_a_signed_command_is_answered_in_the_http_response(web: WebProcess, slack: SlackAPI) -> None:
    body = command_body(slack, "help")
    status, headers, answer = web.request("POST", "/slack/events", body, signed_headers(body))
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(answer)["response_type"] == "ephemeral"
    assert "/papers find &lt;text&gt;" in answer


def test_a_slow_command_is_acked_at_once_and_announced_through_the_response_url(
    web: WebProcess, slack: SlackAPI
) -> None:
    body = command_body(slack, "subscribe reinforcement-learning", name="respond/subscribe")
    status, _, answer = web.request("POST", "/slack/events", body, signed_headers(body))
    assert status == 200 and answer == ""
    posted = eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/subscribe"])
    assert posted[0]["response_type"] == "in_channel"
    assert posted[0]["text"].startswith("<@U1> subscribed this channel to `reinforcement-learning`")


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: (body, FORM), id="unsigned"),
        pytest.param(
            lambda body: (body, signed_headers(body, timestamp=int(time.time()) - 301)), id="older-than-5-minutes"
        ),
        pytest.param(lambda body: (body, signed_headers(body, secret="someone-elses")), id="wrong-secret"),
        pytest.param(
            lambda body: (body + "&text=unsubscribe+all", signed_headers(body)), id="body-changed-after-signing"
        ),
        pytest.param(
            lambda body: (body, signed_headers(body) | {"x-slack-request-timestamp": "abc"}), id="timestamp-abc"
        ),
        pytest.param(
            lambda body: (body, signed_headers(body) | {"x-slack-request-timestamp": "1e3"}), id="timestamp-1e3"
        ),
        pytest.param(
            lambda body: (body, {k: v for k, v in signed_headers(body).items() if k != "x-slack-signature"}),
            id="no-signature",
        ),
    ],
)
def test_requests_not_signed_by_slack_get_401_and_do_nothing(
    web: WebProcess, slack: SlackAPI, forge: Callable[[str], tuple[str, dict[str, str]]]
) -> None:
    sent, headers = forge(command_body(slack, "subscribe robotics", name="respond/forged"))
    assert web.request("POST", "/slack/events", sent, headers)[0] == 401
    time.sleep(0.1)
    assert not [r for r in slack.state.responses if r["url"] == "respond/forged"]


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED = {
    "payload-not-json": ("payload=" + quote("{not json"), "application/x-www-form-urlencoded"),
    "payload-a-list": ("payload=" + quote("[1, 2]"), "application/x-www-form-urlencoded"),
    "json-array": ("[1, 2, 3]", "application/json"),
    "deep-nesting": ('{"a": ' + DEEP + "}", "application/json"),
    "deep-nesting-in-payload": ("payload=" + quote(DEEP), "application/x-www-form-urlencoded"),
    "json-string": ('"hello"', "application/json"),
    "event-not-an-object": ('{"type": "event_callback", "event": "x", "team_id": "T1"}', "application/json"),
    "team-a-number": ('{"type": "block_actions", "team": 5, "user": 7, "actions": "x"}', "application/json"),
    "authorizations-a-number": ('{"type": "event_callback", "authorizations": 5, "event": {}}', "application/json"),
}


@pytest.mark.parametrize("body, content_type", MALFORMED.values(), ids=MALFORMED.keys())
def test_signed_but_malformed_bodies_get_400_or_401_never_500_or_silence(
    web: WebProcess, body: str, content_type: str
) -> None:
    status, _, _ = web.request("POST", "/slack/events", body, signed_headers(body, content_type=content_type))
    assert status in (400, 401, 404)  # 404: well formed, but nothing of ours listens for it


def test_a_body_that_is_not_utf8_is_refused(web: WebProcess) -> None:
    assert web.request("POST", "/slack/events", b"text=\xff\xfe", FORM)[0] == 400


def test_unknown_paths_and_oversized_bodies_are_refused(web: WebProcess) -> None:
    assert web.request("GET", "/slack/install")[0] == 404  # no OAuth configured
    assert web.request("POST", "/admin", "x")[0] == 404
    connection = http.client.HTTPConnection(web.host, web.port, timeout=10)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Length", str(10 << 20))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_a_burst_of_commands_over_many_connections_is_all_answered(web: WebProcess, slack: SlackAPI) -> None:
    def one(_: int) -> int:
        body = command_body(slack, "help")
        try:
            return web.request("POST", "/slack/events", body, signed_headers(body))[0]
        except OSError:  # reset or refused: what a backlog of 5 did
            return -1

    with ThreadPoolExecutor(25) as pool:
        statuses = list(pool.map(one, range(100)))
    assert statuses == [200] * 100


def test_no_secret_reaches_the_output(web: WebProcess, slack: SlackAPI) -> None:
    body = command_body(slack, "find attention", name="respond/logs")
    web.request("POST", "/slack/events", body, signed_headers(body))
    eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/logs"])
    assert "xoxb-test" not in web.stderr and SECRET not in web.stderr


# --- the ASGI app in-process: the health check's failure, and any signed JSON at all ------------------


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory, slack: SlackAPI) -> Iterator[App]:
    app = build_app(slack_settings(f"sqlite:///{tmp_path_factory.mktemp('asgi') / 'papers.db'}", slack))
    yield app
    app.engine.dispose()


@pytest.fixture(scope="module")
def asgi(papers: App) -> Iterator[TestClient]:
    with TestClient(web_app(papers)) as client:
        yield client


def call(
    asgi: TestClient, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    answer = asgi.request(method, path, content=body, headers=headers)
    return answer.status_code, answer.content


def test_the_health_check_says_when_the_database_does_not_answer(asgi: TestClient, papers: App) -> None:
    unreachable = SlackEndpoints(
        build_slack_app(papers),
        make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"),
        SECRET,
        threads=2,
        body_seconds=5,
    )
    with TestClient(Starlette(routes=unreachable.routes())) as client:
        assert call(client, "GET", "/healthz") == (503, b"database unreachable\n")
        assert call(client, "HEAD", "/healthz") == (503, b"")
    assert call(asgi, "HEAD", "/healthz") == (200, b"")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "event",
                    "team",
                    "team_id",
                    "user",
                    "channel",
                    "authorizations",
                    "enterprise",
                    "view",
                    "actions",
                    "trigger_id",
                    "event_id",
                    "command",
                    "text",
                    "payload",
                    "container",
                    "message",
                    "id",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=JSON, as_form=st.booleans())
def test_any_signed_body_gets_an_answer_below_500(asgi: TestClient, payload: object, as_form: bool) -> None:
    text = json.dumps(payload)
    body = "payload=" + quote(text) if as_form else text
    kind = "application/x-www-form-urlencoded" if as_form else "application/json"
    status, _ = call(asgi, "POST", "/slack/events", body.encode(), signed_headers(body, content_type=kind))
    assert status < 500, (status, body[:300])


SHAPES = {
    "event-null": {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event": None, "event_id": "Ev1"},
    "event-a-list": {"type": "event_callback", "team_id": "T1", "event": ["type"]},
    "event-a-string": {"type": "event_callback", "team_id": "T1", "event": "type"},
    "actions-null": {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "actions": None},
    "actions-empty": {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "actions": []},
    "actions-missing": {"type": "interactive_message", "team": {"id": "T1"}, "user": {"id": "U1"}, "callback_id": "x"},
    "view-without-type": {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "view": {"callback_id": "x"},
    },
    "view-null": {"type": "view_closed", "team": {"id": "T1"}, "user": {"id": "U1"}, "view": None},
    "view-a-string": {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}, "view": "callback_id"},
    "workflow-step-missing": {
        "type": "workflow_step_edit",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "callback_id": "x",
    },
}


@pytest.mark.parametrize("payload", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_a_signed_body_bolt_would_trip_over_is_refused_with_400_and_no_traceback(
    asgi: TestClient, payload: dict[str, Any], as_form: bool, caplog: pytest.LogCaptureFixture
) -> None:
    text = json.dumps(payload)
    body = "payload=" + quote(text) if as_form else text
    kind = "application/x-www-form-urlencoded" if as_form else "application/json"
    status, _ = call(asgi, "POST", "/slack/events", body.encode(), signed_headers(body, content_type=kind))
    assert status == 400
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_http_mode_refuses_to_start_without_a_signing_secret(papers: App, capsys: pytest.CaptureFixture[str]) -> None:
    unsigned = dataclasses.replace(papers, settings=papers.settings.model_copy(update={"slack_signing_secret": None}))
    with pytest.raises(SystemExit) as stopped:
        serve_http(unsigned)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip() == NO_SIGNING_SECRET


def test_an_app_token_means_socket_mode_through_the_configured_api_url(papers: App, slack: SlackAPI) -> None:
    settings = papers.settings.model_copy(
        update={"slack_app_token": SecretStr("xapp-test"), "slack_signing_secret": None}
    )
    with pytest.raises(SlackApiError):  # the stand-in knows no app tokens: what matters is where it asked
        start(dataclasses.replace(papers, settings=settings))
    assert slack.state.token_for("apps.connections.open") == ["xapp-test"]


def test_the_procfile_web_line_is_the_one_these_tests_start() -> None:
    assert "web: papers-bot run --only slack" in (Path(__file__).parents[1] / "Procfile").read_text()


def test_the_open_files_limit_is_raised_to_hold_the_connections_or_fewer_are_held(tmp_path: Path) -> None:
    # In a process of its own: a hard limit, once lowered, cannot be raised again.
    script = (
        "import resource, sys\n"
        "from adapters.slack.server import open_files_for\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (300, 2000))\n"
        "print(open_files_for(1500), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
        "print(open_files_for(4000), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.stdout.split("\n")[:2] == ["1500 1756", "1744 2000"], run.stderr
    assert "the open-files limit (2000) holds 1744 connections, not WEB_MAX_CONNECTIONS=4000" in run.stderr

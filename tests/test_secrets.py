"""Secrets: tokens come from the environment (or `.env`) only, and no log, output or repr ever shows one."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import typer
from cryptography.fernet import Fernet
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.cli import cli
from adapters.slack.app import build_slack_app
from adapters.wiring import delivery_pass
from bot.app import build_app
from bot.config import Settings
from bot.domain import Actor, ChannelRef
from tests.discord_api import DiscordStandIn
from tests.slack_api import SlackAPI

SLACK_BOT = "xoxb-SECRET-bot-7q3w9z"
SLACK_APP = "xapp-SECRET-app-1k2m3x"
SIGNING = "SECRET-signing-4r5t6y"
CLIENT_SECRET = "SECRET-client-8u9i0o"
DISCORD = "SECRET.discord.2p3l4j"
TOKEN_KEY = Fernet.generate_key().decode()
# Their ends are not hex digits: a memory address in a warning (0x7f3a9c...) must not look like a leak.
SECRETS = (SLACK_BOT, SLACK_APP, SIGNING, CLIENT_SECRET, DISCORD, TOKEN_KEY)
PAPERS_BOT = Path(sys.executable).parent / "papers-bot"
SLACK_CHANNEL, DISCORD_CHANNEL = ChannelRef("slack", "T1", "C1"), ChannelRef("discord", "100", "200")


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows {secret[:12]}…"
        assert secret[-6:] not in text, f"{where} shows the end of {secret[:12]}…"  # not even a cut-off piece


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as slack:
        slack.state.installed[SLACK_BOT] = "T1"  # the stand-in takes our fake token as a valid one
        yield slack


@pytest.fixture
def discord_api() -> Iterator[DiscordStandIn]:
    with DiscordStandIn() as api:
        yield api


# --- where tokens come from --------------------------------------------------------------------


def test_settings_read_tokens_from_the_environment_and_dot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={SLACK_BOT}\nDISCORD_TOKEN={DISCORD}\n")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING)

    settings = Settings(database_url="sqlite://")
    assert settings.slack_bot_token and settings.slack_bot_token.get_secret_value() == SLACK_BOT
    assert settings.discord_token and settings.discord_token.get_secret_value() == DISCORD
    assert settings.slack_signing_secret and settings.slack_signing_secret.get_secret_value() == SIGNING


def test_no_command_line_option_takes_a_token() -> None:
    # Arguments show up in `ps`, shell history and CI logs; secrets belong in the environment.
    command = typer.main.get_command(cli)
    names = []
    for sub in [
        command,
        *getattr(command, "commands", {}).values(),
        *getattr(command.commands.get("db"), "commands", {}).values(),
    ]:
        names += [name for param in sub.params for name in getattr(param, "opts", [])]
    assert names and not [n for n in names if any(w in n.lower() for w in ("token", "secret", "key", "password"))]


def test_settings_never_print_a_secret() -> None:
    settings = Settings(
        _env_file=None,
        database_url="sqlite://",
        slack_bot_token=SLACK_BOT,
        slack_app_token=SLACK_APP,
        slack_signing_secret=SIGNING,
        slack_client_secret=CLIENT_SECRET,
        discord_token=DISCORD,
        slack_token_key=TOKEN_KEY,
    )
    for shown in (repr(settings), str(settings), settings.model_dump_json(), f"{settings.model_dump()}"):
        assert_no_secret(shown, "Settings")


# --- a whole run, in-process, every logger at DEBUG ----------------------------------------------


class RunAtOnce(Executor):
    """Bolt's lazy listeners run inside `dispatch`, so that their logs are in before the test looks."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def slash_command(text: str, secret: str) -> BoltRequest:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "user_name": "ana",
            "command": "/papers",
            "text": text,
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/respond",
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return BoltRequest(
        body=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature,
        },
    )


def test_a_full_run_logs_no_secret(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, slack: SlackAPI, discord_api: DiscordStandIn
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'papers.db'}",
        slack_bot_token=SLACK_BOT,
        slack_signing_secret=SIGNING,
        slack_api_url=slack.url,
        discord_token=DISCORD,
    )
    app = build_app(settings)
    for channel in (SLACK_CHANNEL, DISCORD_CHANNEL):
        app.service.answer(channel, Actor("U1", "ana"), "/papers subscribe reinforcement-learning")
    report = delivery_pass(app, force=True)

    bolt = build_slack_app(app, executor=RunAtOnce())
    assert bolt.dispatch(slash_command("list", SIGNING)).status == 200
    assert bolt.dispatch(slash_command("list", "forged-" + SIGNING)).status == 401  # refused, and logged
    app.engine.dispose()

    assert SLACK_BOT in slack.state.token_for("chat.postMessage")  # the tokens were used ...
    assert discord_api.posts("/channels/200/messages"), report.summary()
    assert caplog.records and any(record.levelno == logging.DEBUG for record in caplog.records)
    for record in caplog.records:  # ... and never logged, not even in arguments or tracebacks
        assert_no_secret(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}", record.name)
    assert_no_secret(caplog.text, "the log")


# --- the command line, as a deployment runs it ---------------------------------------------------


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "DISCORD_", "PORT", "LOG_", "RUNTIME_DIR", "HF_", "ARXIV_"))
    }
    return (
        env
        | {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}",
            "PYTHONUNBUFFERED": "1",
            "RUNTIME_DIR": str(tmp_path / "run"),
        }
        | extra
    )


def papers_bot(
    args: list[str], env: dict[str, str], cwd: Path, debug: bool = False
) -> subprocess.CompletedProcess[str]:
    """`papers-bot ARGS`; with `debug` every logger at DEBUG (the CLI's `-v` stops at INFO)."""
    if debug:
        # The Discord stand-in's address is set the way tests set it in-process (production has no such knob).
        command = [
            sys.executable,
            "-c",
            "import logging, os, sys; logging.basicConfig(level=logging.DEBUG); "
            "import discord.http; discord.http.Route.BASE = os.environ.get('PAPERS_TEST_DISCORD_BASE', "
            "discord.http.Route.BASE); from adapters.cli import main; sys.argv[0] = 'papers-bot'; main()",
            *args,
        ]
    else:
        command = [str(PAPERS_BOT), *args]
    return subprocess.run(
        command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def test_say_and_deliver_print_no_secret(tmp_path: Path, slack: SlackAPI, discord_api: DiscordStandIn) -> None:
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT,
        SLACK_APP_TOKEN=SLACK_APP,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_TOKEN_KEY=TOKEN_KEY,
        DISCORD_TOKEN=DISCORD,
        SLACK_API_URL=slack.url,
        PAPERS_TEST_DISCORD_BASE=f"http://127.0.0.1:{discord_api.port}/api/v10",
    )
    runs = [
        papers_bot(["-v", "say", str(channel), "/papers subscribe reinforcement-learning"], env, tmp_path)
        for channel in (SLACK_CHANNEL, DISCORD_CHANNEL)
    ]
    runs.append(papers_bot(["-v", "say", "slack:T1:C1", "/papers frobnicate"], env, tmp_path))
    runs.append(papers_bot(["-v", "say", "discord:100:200", "/papers status"], env, tmp_path))
    runs.append(papers_bot(["-v", "deliver", "--now"], env, tmp_path, debug=True))

    for run in runs:
        assert run.returncode == 0, run.stderr[-2_000:]
        assert_no_secret(run.stdout, f"stdout of {run.args[-2:]}")
        assert_no_secret(run.stderr, f"stderr of {run.args[-2:]}")
    assert "DEBUG" in runs[-1].stderr  # the DEBUG run really logged at DEBUG
    assert "Unclosed" not in runs[-1].stderr  # the pass closed the connections it opened
    assert SLACK_BOT in slack.state.token_for("chat.postMessage"), runs[-1].stderr[
        -3000:
    ]  # and really delivered, with the tokens
    assert discord_api.posts("/channels/200/messages"), runs[-1].stderr[-3000:]


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.parametrize("port", ["0", free_port()], ids=["any-free-port", "a-given-port"])
def test_run_refuses_http_mode_without_a_signing_secret(tmp_path: Path, port: str) -> None:
    env = environment(tmp_path, PORT=port, SLACK_BOT_TOKEN=SLACK_BOT)
    run = papers_bot(["run"], env, tmp_path)

    assert run.returncode == 2
    assert run.stderr.strip() == (
        "Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials) "
        "to verify that requests come from Slack, so papers-bot will not start without it."
    )
    assert_no_secret(run.stdout + run.stderr, "papers-bot run")


# --- every process kind, crashed on purpose, with every secret set --------------------------------

DB_PASSWORD = "SECRET-db-pass-5h6n"
# Injected into a process through PYTHONPATH: every outgoing connection fails with an error no SDK
# expects, so that the crash comes from deep inside the platform clients, where tokens sit in locals.
CRASH_ON_CONNECT = """
import socket
def connect(self, address):
    raise RuntimeError("injected crash: no connection today")
def getaddrinfo(*args, **kwargs):
    raise RuntimeError("injected crash: no name looked up today")
socket.socket.connect = connect
socket.socket.connect_ex = connect
socket.getaddrinfo = getaddrinfo
"""


def all_secrets(tmp_path: Path, **extra: str) -> dict[str, str]:
    return environment(
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT,
        SLACK_APP_TOKEN=SLACK_APP,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_TOKEN_KEY=TOKEN_KEY,
        DISCORD_TOKEN=DISCORD,
        **extra,
    )


def crashing(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    (tmp_path / "inject").mkdir(exist_ok=True)
    (tmp_path / "inject" / "sitecustomize.py").write_text(CRASH_ON_CONNECT)
    local = "http://127.0.0.1:9"  # an address, so that the connection is tried (a host name would fail first)
    return env | {
        "PYTHONPATH": str(tmp_path / "inject"),
        "SLACK_API_URL": f"{local}/api/",
        "HF_API_URL": local,
        "ARXIV_API_URL": f"{local}/api",
        "ARXIV_RSS_URL": f"{local}/rss",
    }


def closed_port() -> str:
    return free_port()  # nothing listens there once the probe is closed


def assert_nothing_shown(run: subprocess.CompletedProcess[str], where: str) -> None:
    for secret in (*SECRETS, DB_PASSWORD):
        for shown in (run.stdout, run.stderr):
            assert secret not in shown and secret[-6:] not in shown, f"{where} shows {secret[:12]}…:\n{shown[-3000:]}"


def test_a_worker_that_cannot_reach_discord_crashes_without_showing_a_secret(tmp_path: Path) -> None:
    env = all_secrets(tmp_path, PAPERS_TEST_DISCORD_BASE=f"http://127.0.0.1:{closed_port()}/api/v10")
    env.pop("SLACK_APP_TOKEN"), env.pop("SLACK_SIGNING_SECRET")
    run = papers_bot(["run", "--only", "discord"], env, tmp_path, debug=True)
    assert run.returncode == 1 and "Traceback" in run.stderr and "Cannot connect to host" in run.stderr
    assert_nothing_shown(run, "the worker")


def test_a_socket_mode_web_process_that_cannot_reach_slack_crashes_without_showing_a_secret(tmp_path: Path) -> None:
    env = all_secrets(tmp_path, SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/", LOG_LEVEL="DEBUG")
    run = papers_bot(["run", "--only", "slack"], env, tmp_path)
    assert run.returncode == 1 and "Traceback" in run.stderr and "Connection refused" in run.stderr
    assert_nothing_shown(run, "the Slack process")


def test_an_http_web_process_whose_port_is_taken_crashes_without_showing_a_secret(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        env = all_secrets(tmp_path, PORT=str(taken.getsockname()[1]), SLACK_CLIENT_ID="1.2", LOG_FORMAT="json")
        env.pop("SLACK_APP_TOKEN")
        run = papers_bot(["run", "--only", "slack"], env, tmp_path)
    assert run.returncode == 1 and "Address already in use" in run.stderr
    assert all(json.loads(line) for line in run.stderr.splitlines())  # the crash too is one JSON object
    assert_nothing_shown(run, "the web process")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--only", "discord"],
        ["run", "--only", "slack"],
        ["run"],
        ["deliver", "--now"],
        ["ingest", "--source", "hf"],
    ],
    ids=["worker", "web", "everything", "deliver", "ingest"],
)
def test_every_process_crashed_inside_its_platform_clients_shows_no_secret(tmp_path: Path, args: list[str]) -> None:
    env = crashing(all_secrets(tmp_path, LOG_LEVEL="DEBUG"), tmp_path)
    if args[0] == "deliver":  # a channel to deliver to, made before the crashes start (Discord's sender does not wait)
        papers_bot(
            ["say", "discord:100:200", "/papers subscribe reinforcement-learning"], env | {"PYTHONPATH": ""}, tmp_path
        )
    run = papers_bot(args, env, tmp_path)
    assert "injected crash" in run.stderr, run.stderr[-3000:]  # it really went through the failing connection
    assert_nothing_shown(run, " ".join(args))


def test_the_clock_crashed_on_purpose_shows_no_secret(tmp_path: Path) -> None:
    env = crashing(all_secrets(tmp_path, LOG_LEVEL="DEBUG"), tmp_path)
    papers_bot(["say", "slack:T1:C1", "/papers subscribe reinforcement-learning"], env | {"PYTHONPATH": ""}, tmp_path)
    clock = subprocess.Popen(
        [str(PAPERS_BOT), "run", "--only", "scheduler"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "run" / "scheduler.heartbeat").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the delivery pass and the fetches at start run into the injected crash meanwhile
        clock.send_signal(signal.SIGTERM)
        out, err = clock.communicate(timeout=120)
    finally:
        if clock.poll() is None:
            clock.kill()
    run = subprocess.CompletedProcess(clock.args, clock.returncode, out, err)
    assert run.returncode == 0 and "injected crash" in err, err[-3000:]
    assert_nothing_shown(run, "the clock")


def test_a_database_password_never_shows(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:{closed_port()}/papers"
    for args in (["run", "--only", "scheduler"], ["db", "upgrade"]):  # `health`: tests/test_process_lifecycle.py
        run = papers_bot(args, all_secrets(tmp_path, DATABASE_URL=url, LOG_LEVEL="DEBUG"), tmp_path)
        assert run.returncode != 0 and "127.0.0.1" in run.stderr, (args, run.stderr[-2000:])
        assert_nothing_shown(run, " ".join(args))

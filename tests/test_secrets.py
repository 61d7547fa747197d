"""Secrets: tokens come from the environment (or `.env`) only, and no log, output or repr ever shows one."""

from __future__ import annotations

import logging
import os
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
        refused = "/papers frobnicate" in run.args  # an error reply: `say` says so with status 1
        assert run.returncode == (1 if refused else 0), run.stderr[-2_000:]
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

"""Secrets when a process dies: every process kind, crashed on purpose with every secret set, shows none."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.test_process_lifecycle import Lines
from tests.test_secrets import (
    CLIENT_SECRET,
    DISCORD,
    PAPERS_BOT,
    SECRETS,
    SIGNING,
    SLACK_APP,
    SLACK_BOT,
    TOKEN_KEY,
    environment,
    free_port,
    papers_bot,
)

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
    assert clock.stdout is not None and clock.stderr is not None
    stdout, stderr = Lines(clock.stdout), Lines(clock.stderr)
    try:
        stderr.wait_for("injected crash")  # the delivery pass or a fetch at start has run into it
        clock.send_signal(signal.SIGTERM)
        clock.wait(timeout=120)
    finally:
        if clock.poll() is None:
            clock.kill()
    out, err = stdout.text(), stderr.text()
    run = subprocess.CompletedProcess(clock.args, clock.returncode, out, err)
    assert run.returncode == 0 and "injected crash" in err, err[-3000:]
    assert_nothing_shown(run, "the clock")


def test_a_database_password_never_shows(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:{closed_port()}/papers"
    for args in (["run", "--only", "scheduler"], ["db", "upgrade"]):  # `health`: tests/test_process_lifecycle.py
        run = papers_bot(args, all_secrets(tmp_path, DATABASE_URL=url, LOG_LEVEL="DEBUG"), tmp_path)
        assert run.returncode != 0 and "127.0.0.1" in run.stderr, (args, run.stderr[-2000:])
        assert_nothing_shown(run, " ".join(args))

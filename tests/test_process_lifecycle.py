"""A process as a container runs it: starts, catches up, says it is healthy, logs JSON, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine, select, update

from adapters.health import STALE_SECONDS, Heartbeat, health_problem
from adapters.logs import JsonFormatter, level_for
from bot.config import Settings
from storage.engine import create_schema, make_engine
from storage.tables import ChannelRow, DeliveryRow
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, _AppHandler
from tests.sources_server import Reply, SourcesServer

PAPERS_BOT = Path(sys.executable).parent / "papers-bot"
SOURCES = Path(__file__).parent / "data" / "sources"
SUBSCRIBED = datetime(2026, 1, 1, tzinfo=UTC)  # before any day the suite runs on
OURS = ("SLACK_", "DISCORD_", "PORT", "DATABASE_URL", "LOG_", "RUNTIME_DIR", "DEFAULT_SCHEDULE_", "HF_", "ARXIV_")


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(OURS)}
    return (
        env
        | {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}",
            "RUNTIME_DIR": str(tmp_path / "run"),
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


def papers_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PAPERS_BOT), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def hf_fetched(engine: Engine) -> bool:
    with UnitOfWork(engine) as uow:
        return uow.sources.last_success("hf") is not None


def wait_for(condition: Any, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


class HeldPosts(_AppHandler):
    """Each chat.postMessage waits until the test lets it through, so that a stop request provably arrives
    with the delivery pass in flight (waiting on a state, not on how fast a loaded machine runs)."""

    released: threading.Event

    def _chat_postMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.released.wait(60)
        return super()._chat_postMessage(params)


class HeldSlack(SlackAPI):
    """The Slack stand-in, holding every chat.postMessage until `released` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()
        self.httpd.RequestHandlerClass = type("Handler", (HeldPosts,), {"state": self.state, "released": self.released})


@pytest.fixture
def held_slack() -> Iterator[HeldSlack]:
    with HeldSlack() as slack:
        yield slack
        slack.released.set()


class Lines:
    """Reads a process's stream line by line as it comes, so that a test can wait for a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str) -> None:
        wait_for(lambda: any(text in line for line in list(self.lines)), repr(text))

    def text(self) -> str:
        self.thread.join(60)
        return "".join(self.lines)


@pytest.fixture
def sources() -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        server.script("/api/daily_papers", Reply(200, (SOURCES / "hf-2026-06-18.json").read_bytes()))
        yield server


def test_the_clock_catches_up_reports_health_logs_json_and_stops_cleanly_on_sigterm(
    tmp_path: Path, held_slack: HeldSlack, sources: SourcesServer
) -> None:
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=held_slack.url,
        HF_API_URL=sources.url,
        ARXIV_API_URL=f"{sources.url}/api/query",
        ARXIV_RSS_URL=f"{sources.url}/rss",
        DEFAULT_SCHEDULE_TIME="00:00",
        DEFAULT_SCHEDULE_CADENCE="daily",
        LOG_FORMAT="json",
    )
    subscribed = papers_bot(["say", "slack:T1:C1", "/papers subscribe reinforcement-learning"], env, tmp_path)
    assert subscribed.returncode == 0, subscribed.stderr
    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as conn:  # subscribed long before today, whatever day it is: today's 00:00 post is due
        conn.execute(update(ChannelRow).values(created_at=SUBSCRIBED))
    before = papers_bot(["health", "clock"], env, tmp_path)
    assert (before.returncode, before.stderr) == (
        1,
        f"The clock process has no heartbeat in {tmp_path / 'run'} (starting, or not running).\n",
    )

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
        wait_for(lambda: (tmp_path / "run" / "scheduler.heartbeat").exists(), "the clock's first heartbeat")
        running = papers_bot(["health", "clock"], env, tmp_path)
        wait_for(lambda: held_slack.state.count("chat.postMessage") >= 1, "the first post of the digest, held")
        # The catch-up at start is done (a stop gives up a fetch in hand; the next start fetches again).
        wait_for(lambda: hf_fetched(engine), "the Hugging Face fetch at start, recorded")
        clock.send_signal(signal.SIGTERM)  # with the digest's first post held: the pass is in flight
        stderr.wait_for("SIGTERM received")
        held_slack.released.set()
        clock.wait(timeout=120)
    finally:
        if clock.poll() is None:
            clock.kill()
    out, err = stdout.text(), stderr.text()
    after = papers_bot(["health", "clock"], env, tmp_path)

    assert clock.returncode == 0, err[-3000:]
    assert (running.returncode, running.stderr) == (0, "healthy\n")
    assert after.returncode == 1  # a stopped process is not healthy
    with UnitOfWork(engine) as uow:
        deliveries = list(uow.session.execute(select(DeliveryRow)).scalars())
        hf_success = uow.sources.last_success("hf")
    engine.dispose()
    # The digest in flight was finished and recorded, not cut off: every part of it is in Slack.
    assert [d.status for d in deliveries] == ["sent"]
    assert len(deliveries[0].message_ids) == held_slack.state.count("chat.postMessage") > 1
    # At start the clock fetched what it had never fetched.
    assert "/api/daily_papers" in sources.paths() and hf_success is not None
    lines = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    messages = [line["message"] for line in lines]
    stop = messages.index("SIGTERM received: finishing the work in hand, then stopping")
    assert [m for m in messages[stop:] if m.startswith("delivery pass:")] == [  # the pass was in flight, and ended
        "delivery pass: 1 due, 1 posted, 0 quiet, 0 failed, 0 paused"
    ] and messages[-1] == "stopped"
    assert {"time", "level", "logger", "message"} <= set(lines[0]) and out == ""
    assert any(line["level"] == "INFO" for line in lines)  # `run` logs at INFO without -v


def test_health_needs_a_fresh_heartbeat_and_a_database_that_answers(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'papers.db'}", runtime_dir=tmp_path / "run"
    )
    assert health_problem(settings, ["discord"]) == (
        f"There is no database at {tmp_path / 'papers.db'} yet (DATABASE_URL); `papers-bot db upgrade` creates it."
    )
    create_schema(make_engine(settings.database_url))
    assert health_problem(settings, ["discord"]) == (
        f"The worker process has no heartbeat in {tmp_path / 'run'} (starting, or not running)."
    )
    beat = Heartbeat(tmp_path / "run", "discord")
    beat.beat()
    assert health_problem(settings, ["discord"]) is None
    stuck = beat.path.stat().st_mtime + STALE_SECONDS + 60  # three minutes after its last beat
    assert health_problem(settings, ["discord"], now=stuck) == (
        "The worker process last beat 180 s ago (more than 120 s): its loop is stuck."
    )

    env = environment(tmp_path)
    beat.beat()
    fresh, unknown = papers_bot(["health", "worker"], env, tmp_path), papers_bot(["health", "cron"], env, tmp_path)
    assert (fresh.returncode, fresh.stderr) == (0, "healthy\n")
    assert unknown.returncode == 2 and "health takes web, worker, clock, delivery, not `cron`." in unknown.stderr


def test_health_of_a_database_that_does_not_answer_hides_its_password(tmp_path: Path) -> None:
    env = environment(tmp_path, DATABASE_URL="postgresql+psycopg://papers:SECRET-pw-77@127.0.0.1:1/papers")
    run = papers_bot(["health", "clock"], env, tmp_path)
    assert run.returncode == 1
    assert run.stderr.startswith("The database at postgresql+psycopg://papers:***@127.0.0.1:1/papers does not answer:")
    assert "SECRET-pw-77" not in run.stderr + run.stdout


def test_the_web_process_is_healthy_when_its_healthz_answers(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    env = environment(tmp_path, SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="xoxb-test")
    assert papers_bot(["db", "upgrade"], env, tmp_path).returncode == 0
    with ThreadingHTTPServer(("127.0.0.1", 0), Healthz) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        up = papers_bot(["health", "web"], env | {"PORT": str(server.server_address[1])}, tmp_path)
        server.shutdown()
    down = papers_bot(["health", "web"], env | {"PORT": str(server.server_address[1])}, tmp_path)
    assert (up.returncode, down.returncode) == (0, 1)
    assert down.stderr.startswith(
        f"The web process does not answer at http://127.0.0.1:{server.server_address[1]}/healthz"
    )


def test_log_levels_follow_the_command_the_flag_and_log_level() -> None:
    assert level_for("run", False, None) == logging.INFO  # a service logs what it does
    assert level_for("find", False, None) == logging.WARNING  # a one-off command stays quiet
    assert level_for("find", True, None) == logging.INFO  # -v
    assert level_for("run", False, "DEBUG") == logging.DEBUG
    assert level_for("run", True, "WARNING") == logging.INFO


def test_a_json_log_line_is_one_object_with_the_traceback_inside() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "failed %s", ("twice",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == ("ERROR", "bot.x", "failed twice")
    assert entry["exc_info"].startswith("Traceback") and "ValueError: bad" in entry["exc_info"]

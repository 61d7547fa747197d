"""Benchmark: signed slash commands from many connections at once against the `web` process; prints a table.

    python bench/slack_load.py [--commands 500] [--connections 50] [--database-url URL] [--threads 16]

The web process is started as the Procfile starts it (`papers-bot run --only slack`, uvicorn),
on a free port, with a temporary SQLite database (or the PostgreSQL URL given, in a schema of its
own) and a local stand-in of Slack's Web API for the answers sent later through response URLs.
Commands are a mix of what people type: help, list and status answered in the acknowledgement,
find acknowledged at once and answered later. Each has a trigger_id of its own (each is recorded
in the database, as a replay guard). Two rounds: every connection kept open for its commands,
and a new connection for every command (the harder case for a listen backlog).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from scratch import drop_database, fresh_database  # noqa: E402  (beside this file)

from tests.slack_api import SECRET, SlackAPI, signed_headers, slash_command  # noqa: E402
from tests.slack_web import WebProcess  # noqa: E402

MIX = (
    ["help"] * 4
    + ["list"] * 2
    + ["status"] * 2
    + ["find go explore hard exploration", "find attention is all you need"]
)
ACK_BUDGET = 3.0  # seconds: Slack shows the user an error after this


def command(slack: SlackAPI, n: int) -> str:
    text, reply = MIX[n % len(MIX)], f"{slack.url}respond/{n}"
    return slash_command(text, reply, channel=f"C{n % 20:02d}", user=f"U{n % 40:02d}")


class Round:
    """One round of `commands` over `connections` workers; records each acknowledgement's time or failure."""

    def __init__(self, port: int, slack: SlackAPI, commands: int, connections: int, keep_alive: bool) -> None:
        self.port, self.slack, self.commands, self.connections, self.keep_alive = (
            port,
            slack,
            commands,
            connections,
            keep_alive,
        )
        self.times: list[float] = []
        self.failed: dict[str, int] = {}
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()

    def run(self, first: int) -> float:
        started = time.monotonic()
        with ThreadPoolExecutor(self.connections) as pool:
            share = [range(first + i, first + self.commands, self.connections) for i in range(self.connections)]
            list(pool.map(self.worker, share))
        return time.monotonic() - started

    def worker(self, numbers: range) -> None:
        connection: http.client.HTTPConnection | None = None
        for n in numbers:
            if connection is None or not self.keep_alive:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            body = command(self.slack, n)
            began = time.monotonic()
            try:
                connection.request("POST", "/slack/events", body=body.encode(), headers=signed_headers(body))
                answer = connection.getresponse()
                answer.read()
                took = time.monotonic() - began
                with self.lock:
                    self.times.append(took)
                    self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
                if answer.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (ConnectionError, http.client.HTTPException, TimeoutError, OSError) as error:
                with self.lock:
                    kind = type(error).__name__
                    self.failed[kind] = self.failed.get(kind, 0) + 1
                connection.close()
                connection = None
            if not self.keep_alive and connection is not None:
                connection.close()
        if connection is not None:
            connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=16, help="WEB_THREADS of the web process")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (a schema of its own is made); default SQLite"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SlackAPI() as slack:
        url, schema = fresh_database(args.database_url, Path(tmp), "slack")
        label = f"PostgreSQL (schema {schema})" if schema else "SQLite"
        env = {
            "DATABASE_URL": url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.url,
            "WEB_THREADS": str(args.threads),
        }
        try:
            with WebProcess(env, cwd=Path(tmp)) as web:
                rounds = [("keep-alive", True), ("new connection each", False)]
                results = []
                for i, (name, keep) in enumerate(rounds):
                    load = Round(web.port, slack, args.commands, args.connections, keep)
                    wall = load.run(first=i * args.commands)
                    results.append((name, load, wall))
                finds = sum(1 for n in range(len(rounds) * args.commands) if MIX[n % len(MIX)].startswith("find"))
                deadline = time.monotonic() + 60
                while len(slack.state.responses) < finds and time.monotonic() < deadline:
                    time.sleep(0.2)
                answered = len(slack.state.responses)
        finally:
            drop_database(args.database_url, schema)

    print(
        f"\nslack_load: {args.commands} signed /papers commands per round from {args.connections} concurrent connections,"
    )
    print(f"web process as the Procfile starts it (uvicorn, 1 process, {args.threads} threads for bolt), {label}\n")
    print(
        "| round | sent | answered | refused/reset | status | p50 ms | p90 ms | p99 ms | max ms | over 3 s | commands/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, load, wall in results:
        times = load.times
        failed = ", ".join(f"{k} {v}" for k, v in sorted(load.failed.items())) or "0"
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(load.statuses.items()))
        cells = [f"{1000 * percentile(times, q):.0f}" for q in (0.5, 0.9, 0.99)] + [
            f"{1000 * max(times, default=0):.0f}"
        ]
        over = sum(1 for t in times if t > ACK_BUDGET)
        print(
            f"| {name} | {load.commands} | {len(times)} | {failed} | {statuses} | {' | '.join(cells)} | {over} | "
            f"{len(times) / wall:.0f} |"
        )
    print(f"\nlater answers through response URLs (find): {answered} of {finds}")
    every = [t for _, load, _ in results for t in load.times]
    print(
        f"all rounds: mean {1000 * statistics.fmean(every):.0f} ms; refused or reset: "
        f"{sum(sum(load.failed.values()) for _, load, _ in results)}"
    )


if __name__ == "__main__":
    main()

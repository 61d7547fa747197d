"""Benchmark: signed `/papers help` commands while slowloris clients hold connections to the `web` process; prints a table.

    python bench/slack_abuse.py [--slow 0,20,100] [--commands 40] [--connections 5] [--every 5] [--code DIR]

The web process is started as the Procfile starts it (`papers-bot run --only slack`) on a free port
with a fresh SQLite database. For each number of slow clients, that many connections are opened
and held: half send a request's headers a byte every `--every` seconds, half send complete headers
promising a 1,000-byte body and then send it a byte at a time; one that the server closes is opened
again at once, as an attacker would. Two seconds later `--commands` signed `/papers help` are sent
from `--connections` connections at a time, each given 10 s; the table has the acknowledgement's latency (p50,
p99) and the share answered 200 within Slack's 3 s. `--code DIR` runs another checkout's code
(for example `git worktree add --detach ../papers-bot-before 725b037`) with this one's tests and venv.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import select
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.slack_api import SECRET, SlackAPI, signed_headers, slash_command  # noqa: E402
from tests.slack_web import WebProcess  # noqa: E402

ACK_BUDGET = 3.0  # seconds: Slack shows the user an error after this
CLIENT_TIMEOUT = 10.0
HEAD = b"POST /slack/events HTTP/1.1\r\nHost: papers\r\nContent-Type: application/x-www-form-urlencoded\r\n"
OPENINGS = (b"POST /slack/events HTTP/1.1\r\nHo", HEAD + b"Content-Length: 1000\r\n\r\nx")


class Slowloris:
    """`count` connections kept open and trickling; each one the server closes is opened again."""

    def __init__(self, host: str, port: int, count: int, every: float) -> None:
        self.address, self.every = (host, port), every
        self.sockets = [self.open(n) for n in range(count)]
        self.reopened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def open(self, n: int) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=10)
        sock.sendall(OPENINGS[n % 2])
        return sock

    def trickle(self) -> None:
        while not self.stop.wait(min(self.every, 0.5)):
            closed, _, _ = select.select(self.sockets, [], [], 0)  # answered (408) or closed by the server
            for n, sock in enumerate(self.sockets):
                if sock in closed:
                    sock.close()
                    self.sockets[n] = self.open(n)
                    self.reopened += 1
            if time.monotonic() % self.every < 0.5:
                for sock in self.sockets:
                    with contextlib.suppress(OSError):  # closed meanwhile: reopened at the next round
                        sock.send(b"x")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        for sock in self.sockets:
            sock.close()


def command(slack: SlackAPI, n: int) -> str:
    reply, trigger = f"{slack.url}respond/{n}", f"abuse-{n}-{time.monotonic_ns()}"
    return slash_command("help", reply, channel=f"C{n % 20:02d}", user=f"U{n % 40:02d}", trigger=trigger)


def ack(port: int, slack: SlackAPI, n: int) -> float | None:
    """Seconds until a 200 answer, or None (another status, a reset, or no answer within CLIENT_TIMEOUT)."""
    body = command(slack, n)
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("POST", "/slack/events", body=body.encode(), headers=signed_headers(body))
        answer = connection.getresponse()
        answer.read()
        return time.monotonic() - began if answer.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def resident_mb(pid: int) -> float:
    """The process's resident memory and its children's (a server that forks serves from them), in MB."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for each in [str(pid), *children]:
        status = Path(f"/proc/{each}/status").read_text()
        total += int(status.split("VmRSS:")[1].split()[0])
    return total / 1024


def cell(web: WebProcess, slack: SlackAPI, slow: int, args: argparse.Namespace, first: int) -> str:
    commands = args.commands
    loris = Slowloris(web.host, web.port, slow, args.every)
    try:
        time.sleep(2.0)  # let them take what they can take
        memory = resident_mb(web.process.pid)
        with ThreadPoolExecutor(args.connections) as pool:
            times = list(pool.map(lambda n: ack(web.port, slack, n), range(first, first + commands)))
    finally:
        loris.close()
    # an unanswered command counts at the client's time-out: a lower bound of its latency
    latencies = [t if t is not None else CLIENT_TIMEOUT for t in times]
    quick = sum(1 for t in times if t is not None and t < ACK_BUDGET)
    p50, p99 = (percentile(latencies, q) for q in (0.5, 0.99))
    shown = [f"{1000 * p:.0f}" if p < CLIENT_TIMEOUT else f"> {CLIENT_TIMEOUT:.0f} s" for p in (p50, p99)]
    cells = [str(slow), str(commands), *shown, f"{100 * quick / commands:.0f} %", str(loris.reopened), f"{memory:.0f}"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", default="0,20,100", help="numbers of slowloris connections, one row each")
    parser.add_argument("--commands", type=int, default=40)
    parser.add_argument("--connections", type=int, default=5, help="commands in flight at once")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a slow client's bytes")
    parser.add_argument("--code", type=Path, default=None, help="a checkout whose code the web process runs")
    parser.add_argument("--label", default=None)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the web process, repeatable")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp, SlackAPI() as slack:
        env = {
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'papers.db'}",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.url,
        }
        env |= dict(pair.split("=", 1) for pair in args.env)
        if args.code is not None:
            env["PYTHONPATH"] = str(args.code.resolve())
        with WebProcess(env, cwd=Path(tmp)) as web:
            for i, slow in enumerate(int(n) for n in args.slow.split(",")):
                rows.append(cell(web, slack, slow, args, first=i * args.commands))

    label = args.label or (f"code of {args.code}" if args.code else "this checkout")
    print(
        f"\nslack_abuse: signed /papers help, {args.connections} at a time, "
        f"while slow clients trickle a byte every {args.every:g} s"
    )
    print(f"web process as the Procfile starts it ({label}), SQLite\n")
    print("| slow connections | commands | p50 ms | p99 ms | answered 200 < 3 s | slow ones reopened | web RSS MB |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

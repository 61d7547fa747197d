"""Benchmark: issue 27's combined measure against the `web` process, all at once; prints a table.

    python bench/slack_siege.py [--slow 100] [--commands 300] [--connections 50] [--links 30]
                                [--arxiv-delay 3] [--database-url URL]

The web process is started as the Procfile starts it (`papers-bot run --only slack`, uvicorn) on a
free port, on a fresh SQLite database (or a schema of its own on the PostgreSQL given), its Slack
Web API and arXiv API pointed at local stand-ins: arXiv answers every lookup after `--arxiv-delay`
seconds with an empty feed (it knows none of the ids). Then, all at once: `--slow` slowloris
connections (bench/slack_abuse.py's: half trickle headers, half a promised body, a byte every 5 s,
reopened when closed), `--links` signed `link_shared` events with unknown arXiv ids, and `--commands`
signed `/papers help` (from `--people` people) from `--connections` connections at a time, each given
10 s. The table: how many commands were answered 200, how many within Slack's 3 s, how many of those
were the help (a person past 20 commands a minute is told to wait instead), the latency p50/p99
(an unanswered command counts at 10 s), the link events acknowledged 200, and arXiv requests made.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch import drop_database, fresh_database  # noqa: E402  (beside this file)

from bench.slack_abuse import ACK_BUDGET, CLIENT_TIMEOUT, Slowloris, command, percentile  # noqa: E402
from tests.slack_api import SECRET, SlackAPI, link_shared, signed_headers  # noqa: E402
from tests.slack_web import WebProcess  # noqa: E402
from tests.sources_server import Reply, SourcesServer  # noqa: E402

EMPTY_FEED = ROOT / "tests" / "data" / "sources" / "atom-empty.xml"


def post(port: int, body: str, headers: dict[str, str]) -> tuple[int, str, float]:
    """(status, body, seconds) of one signed POST on a connection of its own; status 0 when unanswered."""
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode(errors="replace"), time.monotonic() - began
    except (OSError, http.client.HTTPException):
        return 0, "", time.monotonic() - began
    finally:
        connection.close()


def help_answered(port: int, slack: SlackAPI, n: int, people: int) -> tuple[float | None, bool]:
    """(seconds until a 200, or None; whether it was the help: past 20 commands a minute a person is told to wait)."""
    body = command(slack, n).replace(f"user_id=U{n % 40:02d}", f"user_id=U{n % people:05d}")
    status, text, took = post(port, body, signed_headers(body))
    return (took if status == 200 else None), "/papers" in text


def link(n: int) -> str:
    return link_shared(f"https://arxiv.org/abs/2612.{90000 + n:05d}", n, channel="C01", user="U01")


def siege(web: WebProcess, slack: SlackAPI, args: argparse.Namespace) -> dict[str, object]:
    loris = Slowloris(web.host, web.port, args.slow, 5.0)
    try:
        time.sleep(2.0)  # the slow ones take what they can take first
        with ThreadPoolExecutor(args.links) as floods, ThreadPoolExecutor(args.connections) as pool:
            bodies = [link(n) for n in range(args.links)]
            links = [
                floods.submit(post, web.port, body, signed_headers(body, content_type="application/json"))
                for body in bodies
            ]
            answers = list(pool.map(lambda n: help_answered(web.port, slack, n, args.people), range(args.commands)))
            linked = sum(1 for future in links if future.result()[0] == 200)
    finally:
        loris.close()
    times = [took for took, _ in answers]
    latencies = [t if t is not None else CLIENT_TIMEOUT for t in times]
    return {
        "commands": args.commands,
        "helps": sum(1 for took, helped in answers if took is not None and helped),
        "answered": sum(1 for t in times if t is not None),
        "within": sum(1 for t in times if t is not None and t < ACK_BUDGET),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "links": linked,
        "reopened": loris.reopened,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--people", type=int, default=40, help="how many people the commands come from")
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--arxiv-delay", type=float, default=3.0)
    parser.add_argument("--database-url", help="a PostgreSQL URL (the run gets a schema of its own)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackAPI() as slack, SourcesServer() as arxiv:
        arxiv.script("/api/query", Reply(200, EMPTY_FEED.read_bytes(), delay=args.arxiv_delay))
        database_url, schema = fresh_database(args.database_url, Path(tmp), "siege")
        env = {
            "DATABASE_URL": database_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.url,
            "ARXIV_API_URL": arxiv.url + "/api/query",
        }
        try:
            with WebProcess(env, cwd=Path(tmp)) as web:
                row = siege(web, slack, args)
                time.sleep(min(args.arxiv_delay * 2, 10))  # the first lookups reach arXiv
                row["arxiv"] = len(arxiv.requests)
        finally:
            drop_database(args.database_url, schema)
    print(json.dumps(row), file=sys.stderr)
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nslack_siege, {where}: {args.slow} slowloris + {args.links} link_shared (unknown ids, arXiv "
        f"{args.arxiv_delay:g} s) + {args.commands} /papers help from {args.connections} connections, at once\n"
    )
    print(
        "| database | commands (people) | answered 200 | within 3 s | of them the help | p50 ms | p99 ms "
        "| links acked 200 | arXiv requests |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {where} | {row['commands']} ({args.people}) | {row['answered']} | {row['within']} | {row['helps']} "
        f"| {1000 * float(row['p50']):.0f} | {1000 * float(row['p99']):.0f} | {row['links']}/{args.links} "
        f"| {row['arxiv']} |"
    )


if __name__ == "__main__":
    main()

"""Benchmark: `/papers help` acknowledgements while link floods and subscribes pour in; prints a table.

    python bench/slack_flood.py [--links 30] [--subscribes 40] [--helps 60] [--baseline 725b037] [--database-url URL]

The bolt App is built as the web process builds it (`build_slack_app(app)`, the production thread
pools), on a fresh SQLite database (or a schema of its own on the PostgreSQL given) holding the bundled papers, its Web API client pointed at a local
stand-in of Slack. arXiv is a stand-in that answers each lookup after 3 s, one at a time (the pace
the real client keeps) and knows none of the ids. At once: `--links` `link_shared` events with
unknown arXiv ids, `--subscribes` slash-command subscribes (each by another person) and, every
0.25 s from the start, one `/papers help`; each help's acknowledgement (bolt's `dispatch`, as the
HTTP adapter calls it, from a thread of its own: the web server is not what is measured here) is
timed. Slack shows an error when the acknowledgement takes longer than 3 s.

With `--baseline REV` the same runs first against that commit of this repository (`git archive`
into a temporary folder, run in a process of its own), and both rows are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
ACK_BUDGET = 3.0
ARXIV_PACE = 3.0  # seconds per arXiv request, one at a time


def measure(code: Path, links: int, subscribes: int, helps: int, database_url: str) -> dict[str, Any]:
    """One run against the code in `code` (this checkout, or a baseline's archive)."""
    sys.path.insert(0, str(code))
    from slack_bolt.request import BoltRequest

    from adapters.slack.app import build_slack_app
    from bot.app import build_app
    from bot.config import Settings
    from bot.sources.parsed import Parsed
    from tests.slack_api import SECRET, SlackAPI, link_shared, signed_headers, slash_command

    slack = SlackAPI().__enter__()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack.url,
        discord_token=None,
    )
    app = build_app(settings)
    pace = threading.Lock()

    def slow_arxiv(ids: list[str]) -> Parsed:
        with pace:
            time.sleep(ARXIV_PACE)
        return Parsed()

    app.lookup.fetch = slow_arxiv
    bolt = build_slack_app(app)

    def dispatch(body: str, content_type: str) -> tuple[float, int, str]:
        began = time.monotonic()
        response = bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type=content_type)))
        return time.monotonic() - began, response.status, response.body

    def command(text: str, n: int) -> str:
        return slash_command(text, slack.response_url(f"flood/{n}"), channel=f"C{n % 10}", user=f"U{n:04d}")

    def link(n: int) -> str:
        return link_shared(f"https://arxiv.org/abs/2612.{90000 + n:05d}", n)

    with ThreadPoolExecutor(links + subscribes + helps) as web:  # a thread per request: the server is not measured
        for n in range(links):
            web.submit(dispatch, link(n), "application/json")
        for n in range(subscribes):
            web.submit(
                dispatch,
                command(f"subscribe robotics cat:cs.RO min-upvotes={n}", n),
                "application/x-www-form-urlencoded",
            )
        acks = []
        for n in range(helps):
            acks.append(web.submit(dispatch, command("help", 5000 + n), "application/x-www-form-urlencoded"))
            time.sleep(0.25)
        results = [future.result() for future in acks]
        took = [seconds for seconds, _, _ in results]
        answered = [seconds for seconds, status, body in results if status == 200 and "/papers" in body]
        row = {
            "helps": helps,
            "p50": statistics.median(took),
            "p99": sorted(took)[min(len(took) - 1, round(0.99 * (len(took) - 1)))],
            "within": sum(1 for s in answered if s <= ACK_BUDGET) / helps,
            "failed": sum(1 for _, status, _ in results if status != 200),
        }
        print(json.dumps(row), flush=True)
        os._exit(0)  # the flood's backlog (arXiv at 3 s a lookup) is not waited for


def run_child(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One measure in a process of its own, on a database of its own (a PostgreSQL schema is dropped after)."""
    from scratch import drop_database, fresh_database  # here: a measure's own process imports only `code`'s

    url, schema = fresh_database(args.database_url, tempfile.mkdtemp(prefix="slack-flood-"), "flood")
    command = [sys.executable, __file__, "--code", str(code), "--database", url, "--links", str(args.links)]
    command += ["--subscribes", str(args.subscribes), "--helps", str(args.helps)]
    try:
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    finally:
        drop_database(args.database_url, schema)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_at(revision: str, args: argparse.Namespace) -> dict[str, Any]:
    """The same measure on `revision` of this repository (`git archive` into a temporary folder)."""
    folder = Path(tempfile.mkdtemp(prefix="slack-flood-base-"))
    archive = subprocess.run(["git", "-C", str(HERE), "archive", revision], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return run_child(folder, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--subscribes", type=int, default=40)
    parser.add_argument("--helps", type=int, default=60)
    parser.add_argument("--baseline", help="a commit to measure too (main's 725b037 before the inbox)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (each run gets a schema of its own)")
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)  # a run in a process of its own, on:
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.code:
        measure(args.code, args.links, args.subscribes, args.helps, args.database)
        return
    rows = []
    if args.baseline:
        rows.append((args.baseline, run_at(args.baseline, args)))
    rows.append(("this checkout", run_child(HERE, args)))
    where = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.links} link_shared (unknown ids, arXiv 3 s a lookup) + {args.subscribes} subscribes at once, {where}")
    print("| code | helps | ack p50 | ack p99 | answered within 3 s | not 200 |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in rows:
        print(
            f"| {label} | {row['helps']} | {row['p50'] * 1000:.0f} ms | {row['p99'] * 1000:.0f} ms "
            f"| {row['within']:.0%} | {row['failed']} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: acknowledged mentions through a kill -9 or a SIGTERM of the process holding them; prints a table.

    python bench/slack_restart.py [--events 200] [--database-url URL]

A process of its own builds the Slack app as the web process does (`build_slack_app(app)`: the
inbox and its pools), acknowledges `--events` signed `app_mention` events (each a subscribe, in a
channel of its own, by a person of its own, answered in the channel's thread) and starts working them off against a Slack stand-in that takes 0.5 s a message. Right after
the last acknowledgement it is stopped: kill -9, or SIGTERM (its handler calls the web server's
shutdown hook `stop_work()`, then exits). A second process is started on the same database and
does nothing but start; the table says how many mentions were answered once, twice, or never.
The lease is shortened to 5 s for the run (2 minutes in production), so that kill -9 costs seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from scratch import drop_database, fresh_database  # noqa: E402  (beside this file)

from tests.slack_api import SECRET, SlackAPI  # noqa: E402

POST_SECONDS = 0.5  # per message: the 200 take 12 s on 8 threads, longer than the acknowledgements
LEASE_SECONDS = 5


def child(database_url: str, slack_url: str, events: int, first: bool) -> None:
    """One web process: acknowledge the events (the first one only), then work until stopped."""
    from slack_bolt.request import BoltRequest

    import bot.inbox

    bot.inbox.LEASE = timedelta(seconds=LEASE_SECONDS)
    from adapters.slack.app import build_slack_app, stop_work
    from bot.app import build_app
    from bot.config import Settings
    from tests.slack_api import event_body, mention, signed_headers

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack_url,
        discord_token=None,
    )
    app = build_app(settings)
    bolt = build_slack_app(app)

    def terminate(*_: Any) -> None:
        stop_work()  # what the web server's shutdown does
        os._exit(0)

    signal.signal(signal.SIGTERM, terminate)
    if first:
        for n in range(events):
            # A change, answered in the channel's thread (chat.postMessage, marked): what a retry can look up;
            # each by a person of its own (one person's 200 mentions a minute would meet the command rate limit,
            # whose ephemeral warnings no retry can look up).
            where = {"channel": f"C{n:04d}", "user": f"U{n:04d}"}
            body = event_body(mention("subscribe reinforcement-learning", **where))
            response = bolt.dispatch(
                BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))
            )
            assert response.status == 200, response.status
        print("acknowledged", flush=True)
    while True:
        time.sleep(1)


def answered(slack: SlackAPI) -> Counter[str]:
    with slack.state.lock:
        return Counter(
            p["channel"] for name, p in slack.state.calls if name in ("chat.postMessage", "chat.postEphemeral")
        )


def one_run(how: str, database_url: str, events: int) -> dict[str, Any]:
    with SlackAPI() as slack:
        handler = slack.httpd.RequestHandlerClass
        for method in ("_chat_postMessage", "_chat_postEphemeral"):
            answer = getattr(handler, method)

            def slow(self: Any, params: dict[str, Any], answer: Any = answer) -> Any:
                time.sleep(POST_SECONDS)
                return answer(self, params)

            setattr(handler, method, slow)
        command = [sys.executable, __file__, "--child", database_url, slack.url, str(events)]
        first = subprocess.Popen([*command, "first"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "acknowledged"
        before = sum(answered(slack).values())
        first.send_signal(signal.SIGKILL if how == "kill -9" else signal.SIGTERM)
        first.wait()
        started = time.monotonic()
        second = subprocess.Popen([*command, "next"], stdout=subprocess.DEVNULL, cwd=ROOT)
        try:
            while len(answered(slack)) < events and time.monotonic() - started < 120:
                time.sleep(0.2)
            took = time.monotonic() - started
            time.sleep(LEASE_SECONDS + 2)  # nothing more comes after the last lease
        finally:
            second.kill()
            second.wait()
        counts = answered(slack)
        return {
            "how": how,
            "events": events,
            "before": before,
            "once": sum(1 for n in range(events) if counts[f"C{n:04d}"] == 1),
            "twice": sum(1 for n in range(events) if counts[f"C{n:04d}"] > 1),
            "never": sum(1 for n in range(events) if counts[f"C{n:04d}"] == 0),
            "took": took,
        }


def measured(how: str, url: str | None, folder: Path, events: int) -> dict[str, Any]:
    database_url, schema = fresh_database(url, folder, "restart")
    try:
        return one_run(how, database_url, events)
    finally:
        drop_database(url, schema)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "first")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="slack-restart-"))
    rows = [measured(how, args.database_url, folder, args.events) for how in ("SIGTERM", "kill -9")]
    print(json.dumps(rows), file=sys.stderr)
    print("| stopped by | acknowledged | answered before the stop | then: once | twice | never | all answered after |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['how']} | {row['events']} | {row['before']} | {row['once']} | {row['twice']} | {row['never']} "
            f"| {row['took']:.1f} s |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: one private feed asked for 10,000 times from 50 connections, against the site under uvicorn; a table.

    python bench/feeds.py [--requests 10000] [--connections 50] [--database sqlite|postgresql|URL] [--posts 22]
                          [--state-for SECONDS] [--only N]

The database holds the bundled papers and a month of one channel's posts (POSTS weekday posts of 8 papers, all
sent by the delivery pass), and one feed token. uvicorn serves adapters/web's routes in a process of its own
(one worker, as `site_routes` would be mounted). Each scenario sends REQUESTS requests from CONNECTIONS
keep-alive connections (aiohttp, asyncio, in a process of its own):
- polling readers: each connection's first request is plain, the next ones send the ETag it got (If-None-Match),
  as feed readers do: 304s;
- full fetches: no validator, every answer is the whole document (Atom, JSON Feed, the page);
- robots.txt first: a page that reads nothing, the floor of uvicorn, Starlette and the client on this machine;
- unknown token: a well-formed token never issued (one primary-key read, then 404), and one of the wrong shape
  (404 before the database).
Latencies are measured by the client, from sending a request to reading the whole answer.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import httpx  # noqa: E402
from scratch import drop_database, fresh_database, server_of  # noqa: E402  (beside this file)

from adapters.web.feed_routes import STATE_FOR  # noqa: E402

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PER_POST = 8


def settings(url: str) -> object:
    from bot.config import Settings

    return Settings(_env_file=None, database_url=url, public_url="http://127.0.0.1", slack_bot_token=None)


def prepare(url: str, posts: int) -> tuple[str, int]:
    """The month of posts and a feed link; returns the token and how many papers the feed lists."""
    from bot.app import build_app
    from bot.chat import replies as r
    from bot.delivery.passes import deliver_due
    from bot.delivery.senders import RecordingSender
    from bot.domain import Actor, ChannelRef, Digest, Match, Subscription
    from storage.uow import UnitOfWork

    app = build_app(settings(url), clock=lambda: NOW)  # type: ignore[arg-type]
    lab = ChannelRef("slack", "T1", "C1")
    with UnitOfWork(app.engine) as uow:
        uow.subscriptions.add(Subscription(lab, "anything"))
        papers = uow.papers.recent(datetime(2000, 1, 1, tzinfo=UTC))
        uow.commit()
    days = [NOW - timedelta(days=d) for d in range(31) if (NOW - timedelta(days=d)).weekday() < 5][:posts]
    for number, day in enumerate(reversed(days)):
        batch = papers[number * PER_POST : (number + 1) * PER_POST]

        def build(uow: object, matcher: object, to: object, now: datetime, cap: int = 10, b: list = batch) -> Digest:
            return Digest(lab, tuple(Match(p, 1.0, ("topic: words in title",)) for p in b), 0, "papers", now)

        deliver_due(app.engine, None, {"slack": RecordingSender()}, day, force=True, build=build)
    reply = app.service.answer(lab, Actor("U1", "ana"), "/papers feed")
    assert isinstance(reply, r.FeedLink), reply
    listed = min(len(days) * PER_POST, len(papers))
    return reply.page.rsplit("/", 1)[1], listed


def serve(url: str, port: int, state_for: float) -> None:
    import logging

    import uvicorn
    from starlette.applications import Starlette

    from adapters.web import site_routes
    from bot.app import build_app

    logging.disable(logging.INFO)
    app = build_app(settings(url), seed=False, clock=lambda: NOW)  # type: ignore[arg-type]
    routes = site_routes(app, feed_state_for=state_for)
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning")


async def load(base: str, path: str, requests: int, connections: int, conditional: bool) -> tuple[Counter, list]:
    """REQUESTS requests over CONNECTIONS keep-alive connections; status counts and each latency in ms."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    per_connection = [requests // connections + (i < requests % connections) for i in range(connections)]

    async def reader(count: int) -> None:
        async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=1)) as session:
            etag = None
            for _ in range(count):
                headers = {"If-None-Match": etag} if conditional and etag else {}
                started = time.perf_counter()
                async with session.get(path, headers=headers) as answer:
                    await answer.read()
                    latencies.append((time.perf_counter() - started) * 1000)
                    statuses[answer.status] += 1
                    etag = answer.headers.get("etag", etag)

    await asyncio.gather(*(reader(count) for count in per_connection))
    return statuses, latencies


def client(base: str, path: str, count: int, connections: int, conditional: bool, out: mp.Queue) -> None:
    """One load run in a process of its own: the client does not share the benchmark's interpreter."""
    started = time.perf_counter()
    statuses, latencies = asyncio.run(load(base, path, count, connections, conditional))
    out.put((statuses, latencies, time.perf_counter() - started))


def step_costs(url: str, token: str) -> list[tuple[str, float]]:
    """Each step of an answer timed in this process, without HTTP: the median of many calls, in ms."""
    import json

    from adapters.web.feed_formats import FeedUrls, atom, json_feed
    from adapters.web.pages import TEMPLATES
    from bot.app import build_app
    from bot.delivery.private_feed import feed_state, read_feed, token_hash

    app = build_app(settings(url), seed=False, clock=lambda: NOW)  # type: ignore[arg-type]
    engine, page = app.engine, f"http://127.0.0.1/feeds/{token}"
    urls = FeedUrls(page, page + ".atom", page + ".json", token_hash(token))
    state = feed_state(engine, token, NOW)
    assert state is not None
    feed = read_feed(engine, app.taxonomy, state, NOW)
    steps = [
        ("token of the wrong shape: 404 before the database", lambda: feed_state(engine, "nope", NOW), 2000),
        ("unknown token: one primary-key read, 404", lambda: feed_state(engine, "A" * 43, NOW), 500),
        ("a poll: token and the feed's version (304)", lambda: feed_state(engine, token, NOW), 500),
        ("a new version: read the feed's papers", lambda: read_feed(engine, app.taxonomy, state, NOW), 50),
        ("a new version: render Atom", lambda: atom(feed, urls, TEMPLATES.env), 50),
        ("a new version: render JSON Feed", lambda: json.dumps(json_feed(feed, urls, TEMPLATES.env)), 50),
        (
            "a new version: render the page",
            lambda: TEMPLATES.get_template("feed.html").render(feed=feed, items=feed.items, q="", urls=urls, days=30),
            50,
        ),
    ]
    costs = []
    for name, call, times in steps:
        took = []
        for _ in range(times):
            started = time.perf_counter()
            call()
            took.append((time.perf_counter() - started) * 1000)
        costs.append((name, statistics.median(took)))
    return costs


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--posts", type=int, default=22)
    parser.add_argument("--only", type=int, default=0, help="run the first N scenarios only")
    parser.add_argument("--state-for", type=float, default=STATE_FOR, help="seconds a token's state is reused")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, schema = fresh_database(server_of(args.database), folder, "feeds")
        token, listed = prepare(url, args.posts)
        print(f"one feed of {listed} papers ({args.posts} posts), {args.database}; each step in this process:")
        print("| step | ms (median) |\n|---|---:|")
        for name, ms in step_costs(url, token):
            print(f"| {name} | {ms:.3f} |")
        print(f"\nload average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        port = 20000 + os.getpid() % 20000
        spawn = mp.get_context("spawn")
        server = spawn.Process(target=serve, args=(url, port, args.state_for), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        while True:  # until it listens
            try:
                httpx.get(base + "/robots.txt")
                break
            except httpx.TransportError:
                assert server.is_alive(), "uvicorn did not start"
                time.sleep(0.1)
        scenarios = [
            ("robots.txt (no database: this machine's floor)", "/robots.txt", False, args.requests),
            ("Atom, polling readers (If-None-Match)", f"/feeds/{token}.atom", True, args.requests),
            ("Atom, full fetches", f"/feeds/{token}.atom", False, args.requests),
            ("JSON Feed, full fetches", f"/feeds/{token}.json", False, args.requests),
            ("page, full fetches", f"/feeds/{token}", False, args.requests),
            ("unknown token (well-formed)", "/feeds/" + "A" * 43 + ".atom", False, args.requests // 5),
            ("unknown token (wrong shape)", "/feeds/nope.atom", False, args.requests // 5),
        ]
        print(f"over HTTP, uvicorn (1 worker), {args.connections} connections, state kept {args.state_for} s:")
        print("| scenario | requests | 200 | 304 | 404 | other | p50 ms | p99 ms | req/s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        try:
            for name, path, conditional, count in scenarios[: args.only or None]:
                results: mp.Queue = spawn.Queue()
                loader = spawn.Process(target=client, args=(base, path, count, args.connections, conditional, results))
                loader.start()
                statuses, latencies, elapsed = results.get()
                loader.join()
                other = sum(n for status, n in statuses.items() if status not in (200, 304, 404))
                print(
                    f"| {name} | {count:,} | {statuses[200]:,} | {statuses[304]:,} | {statuses[404]:,} | {other} "
                    f"| {percentile(latencies, 50):.1f} | {percentile(latencies, 99):.1f} | {count / elapsed:,.0f} |"
                )
        finally:
            server.terminate()
            server.join(10)
            drop_database(server_of(args.database), schema)


if __name__ == "__main__":
    main()

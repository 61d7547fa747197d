"""Benchmark: two delivery passes at once over many channels on one database; prints a table.

    python bench/delivery.py [--channels 1000] [--papers 300] [--database-url URL]

Each pass runs in its own process with a recording sender; afterwards the posts of both are
counted: every (channel, paper) must be posted exactly once between them.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from bot.domain import ChannelRef, Subscription
from storage.engine import make_engine
from storage.migrations import ensure_schema
from storage.tables import DeliveredRow
from storage.uow import UnitOfWork

from find_corpus import load_real  # beside this file

QUERIES = [
    "reinforcement-learning",
    "large-language-models",
    "robotics",
    "computer-vision",
    "diffusion-models",
    "speech-and-audio",
    "graph-neural-networks",
    "medical-imaging",
    "time-series",
    "code-generation",
]


def prepare(url: str, channels: int, papers: int) -> None:
    """A database with `papers` fresh papers and `channels` channels of one or two subscriptions."""
    engine = make_engine(url)
    ensure_schema(engine)
    now = datetime.now(UTC)
    sample = random.Random(7).sample(load_real(), papers)
    fresh = [p.with_changes(published_at=now - timedelta(hours=6)) for p in sample]
    rng = random.Random(11)
    with UnitOfWork(engine) as uow:
        uow.papers.merge(fresh)
        for n in range(channels):
            channel = ChannelRef("slack", "TBENCH", f"C{n:05d}")
            for query in rng.sample(QUERIES, rng.choice((1, 2))):
                uow.subscriptions.add(Subscription(channel, query))
        uow.commit()
    engine.dispose()


def one_pass(url: str, queue: mp.Queue) -> None:
    from bot.delivery.passes import deliver_due
    from bot.delivery.senders import RecordingSender
    from bot.relevance.matching import Matcher
    from bot.relevance.topics import Taxonomy

    engine = make_engine(url)
    sender = RecordingSender()
    started = time.perf_counter()
    report = deliver_due(engine, Matcher(Taxonomy.load()), {"slack": sender}, datetime.now(UTC), force=True)
    queue.put((time.perf_counter() - started, report.posted, sender.posted_keys()))


def scratch_schema(url: str) -> tuple[str, str | None]:
    """On PostgreSQL the benchmark works in a schema of its own, dropped afterwards."""
    if not url.startswith("postgres"):
        return url, None
    schema = f"papers_bench_{int(time.time())}"
    with make_engine(url).begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema},public", schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url, schema = scratch_schema(args.database_url or f"sqlite:///{tempfile.mkdtemp()}/delivery.db")
    started = time.perf_counter()
    prepare(url, args.channels, args.papers)
    setup = time.perf_counter() - started
    queue: mp.Queue = mp.get_context("fork").Queue()
    passes = [mp.get_context("fork").Process(target=one_pass, args=(url, queue)) for _ in range(2)]
    started = time.perf_counter()
    for process in passes:
        process.start()
    results = [queue.get() for _ in passes]
    for process in passes:
        process.join()
    wall = time.perf_counter() - started
    posted = Counter(pair for _, _, pairs in results for pair in pairs)
    engine = make_engine(url)
    with engine.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(DeliveredRow)).scalar_one()
    dialect = engine.dialect.name
    print(
        "| database | channels | papers | setup s | wall s (2 passes) | pass A s | pass B s | digests A/B | pairs posted | pairs recorded | duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {dialect} | {args.channels} | {args.papers} | {setup:.1f} | {wall:.1f} | {results[0][0]:.1f} | {results[1][0]:.1f} "
        f"| {results[0][1]}/{results[1][1]} | {len(posted)} | {recorded} | {sum(n - 1 for n in posted.values())} |"
    )
    engine.dispose()
    if schema:
        with make_engine(args.database_url).begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()

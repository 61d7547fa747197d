"""Benchmark: a delivery pass at 1k-100k channels sharing a few hundred distinct subscriptions; prints tables.

    python bench/fanout.py [--channels 1000,10000,100000] [--papers 2000] [--database sqlite|postgresql|URL]
                           [--workers 1,4] [--build-only] [--e2e CHANNELS] [--feedback N --signals S]

Each row starts from an empty database: PAPERS new papers from the 20k arXiv corpus, their topic
evidence stored as ingest does, and CHANNELS channels imported with `subscriptions import` (1-3
subscriptions each, drawn from tests/data/fanout/queries.txt, the first queries far more often),
all due now. Then, each in processes of their own (peak RSS is theirs):
- build: the digests of every channel (the pass's fan-out and each channel's digest), nothing sent;
- pass: `deliver_due` with a sender that appends each (channel, paper) posted to a file, in WORKERS
  processes at once; pairs posted and repeats (a pair posted twice) are read from those files;
- e2e: `papers-bot deliver --now` against a local Slack stand-in with no latency.

With --feedback N, two such databases, the same but for feedback: in both, N channels (among those with at
least S + 20 matches) were shown their first S + 10 matches in earlier posts of 10 (recorded and confirmed
through the outbox as a pass records them); in the second, each of them then likes or dislikes S of those
papers (`uow.feedback.give`, what the buttons, `/papers like` and reactions store). The pass runs on each:
a row without feedback, a row with it (the first pass after the signals: it trains every model and keeps it),
a row on a copy of the database with feedback as it was before that pass plus the models and word counts that
pass stored (a later pass: every model kept, only scored), and each row's ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scratch import drop_database, fresh_database, server_of  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.domain import ChannelRef, Digest, Subscription  # noqa: E402
from storage.engine import make_engine  # noqa: E402

from find_corpus import load_real  # noqa: E402  (beside this file)

QUERIES = (ROOT / "tests" / "data" / "fanout" / "queries.txt").read_text().split("\n")[:-1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the database ---------------------------------------------------------------------------


def subscription_lines(channels: int, seed: int = 7) -> list[str]:
    """1-3 subscriptions a channel, Zipf over the queries; every channel due now (daily at 00:00 UTC)."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(QUERIES))]
    lines = []
    for i in range(channels):
        channel = f"slack:T{i % 97}:C{i}"
        for query in dict.fromkeys(rng.choices(QUERIES, weights, k=rng.randint(1, 3))):
            lines.append(json.dumps({"channel": channel, "query": query, "schedule": "00:00 UTC daily"}))
    return lines


def prepare(url: str, papers: int, channels: int) -> dict[str, float]:
    """Papers, their evidence and the channels; returns how long each step took."""
    from bot.chat.transfer import import_lines
    from bot.delivery.fanout import assess_news
    from bot.relevance.matching import Matcher
    from bot.relevance.paper_topics import PaperTopics
    from bot.relevance.topics import Taxonomy
    from storage.migrations import ensure_schema
    from storage.uow import UnitOfWork

    engine = make_engine(url)
    ensure_schema(engine)
    now = datetime.now(UTC)
    sample = random.Random(5).sample(load_real(), papers)
    timings = {}
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        uow.papers.merge(p.with_changes(published_at=now - timedelta(hours=20)) for p in sample)
        uow.commit()
    timings["ingest"] = time.perf_counter() - started
    started = time.perf_counter()
    taxonomy = Taxonomy.load()
    assess_news(engine, PaperTopics(engine, Matcher(taxonomy)), now)
    timings["evidence"] = time.perf_counter() - started
    lines = subscription_lines(channels)
    started = time.perf_counter()
    report = import_lines(engine, taxonomy, lines)
    timings["import"] = time.perf_counter() - started
    timings["lines"] = len(lines)
    assert not report.refused, report.refused[:3]
    with engine.begin() as conn:  # made two days ago: today's slot is due
        conn.execute(text("UPDATE channel SET created_at = :t"), {"t": now - timedelta(days=2)})
    engine.dispose()
    return timings


# --- the measured work, each in a spawned process --------------------------------------------


class FileSender:
    """Appends every (channel, paper) it is asked to post to a file; ids are counters."""

    def __init__(self, path: str) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by the worker)
        self.count = 0
        self.guard = threading.Lock()  # the pass sends from several threads; a text file is not thread-safe

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        with self.guard:
            self.out.writelines(f"{channel}\t{m.paper.key}\n" for m in digest.matches)
            self.count += 1
            return [f"{mark}:{self.count}"]

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        return None


def build_worker(url: str, queue: mp.Queue) -> None:
    """What a pass does to know every channel's digest: the shared fan-out, then per batch of channels their
    subscriptions and what they were lately sent in two reads, then each channel's digest (as `deliver_due`,
    nothing recorded)."""
    from bot.delivery.fanout import NEW_FOR
    from bot.delivery.passes import RECHECK, shared_fanout
    from bot.relevance.matching import Matcher
    from bot.relevance.paper_topics import PaperTopics
    from bot.relevance.topics import Taxonomy
    from storage.uow import UnitOfWork

    engine = make_engine(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    fanout = shared_fanout(engine, PaperTopics(engine, Matcher(Taxonomy.load())), now)
    shared = time.perf_counter() - started
    shown = 0
    with UnitOfWork(engine) as uow:
        channels = uow.subscriptions.channels()
        for start in range(0, len(channels), RECHECK):
            batch = channels[start : start + RECHECK]
            refs = [str(c) for c in batch]
            following = uow.bulk.queries_of(refs)
            sent = uow.outbox.recently_delivered(refs, now - NEW_FOR - timedelta(days=1))
            for channel in batch:
                subscriptions = [Subscription(channel, q) for q in following.get(str(channel), ())]
                digest = fanout.digest(channel, subscriptions, sent[str(channel)], now)
                shown += len(digest.matches)
    queue.put({"wall": time.perf_counter() - started, "shared": shared, "shown": shown, "rss": peak_mb()})


def pass_worker(url: str, out: str, queue: mp.Queue) -> None:
    from bot.delivery.passes import deliver_due
    from bot.relevance.matching import Matcher
    from bot.relevance.topics import Taxonomy

    engine = make_engine(url)
    sender = FileSender(out)
    started = time.perf_counter()
    report = deliver_due(engine, Matcher(Taxonomy.load()), {"slack": sender}, datetime.now(UTC))
    sender.out.close()
    queue.put({"wall": time.perf_counter() - started, "posted": report.posted, "rss": peak_mb()})


def spawn(target: object, *args: object, count: int = 1) -> list[dict[str, float]]:
    context = mp.get_context("spawn")
    queue: mp.Queue = context.Queue()
    processes = [
        context.Process(
            target=target, args=(*args[:-1], f"{args[-1]}.{i}", queue) if target is pass_worker else (*args, queue)
        )
        for i in range(count)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    return results


def pairs(out: str, count: int) -> Counter[str]:
    posted: Counter[str] = Counter()
    for i in range(count):
        with open(f"{out}.{i}", encoding="utf-8") as lines:
            posted.update(lines)
    return posted


def e2e(url: str) -> dict[str, float]:
    """`papers-bot deliver --now` against the local Slack stand-in; pairs read from the messages' metadata."""
    from tests.slack_server import SlackServer

    with SlackServer() as slack:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.url,
            "DISCORD_TOKEN": "",
            "PYTHONPATH": str(ROOT),
        }
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "adapters.cli", "deliver", "--now"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        posted = slack.state.posted_keys()
        return {
            "wall": wall,
            "pairs": sum(posted.values()),
            "repeats": sum(n - 1 for n in posted.values() if n > 1),
            "calls": slack.state.count_all(),
        }


# --- the tables -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", default="1000,10000,100000")
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--database", default="sqlite", help="sqlite, postgresql (PAPERS_TEST_POSTGRES_URL) or a URL")
    parser.add_argument("--workers", default="1", help="delivery processes sharing the pass, e.g. 1,4")
    parser.add_argument("--build-only", action="store_true", help="only the digest building, nothing sent")
    parser.add_argument("--e2e", action="store_true", help="papers-bot deliver --now against a Slack stand-in")
    parser.add_argument("--feedback", type=int, default=0, help="channels with feedback: a pass without and with")
    parser.add_argument("--signals", type=int, default=20, help="likes and dislikes each of those channels gave")
    args = parser.parse_args()
    if args.feedback:
        from fanout_feedback import with_feedback

        for channels in (int(n) for n in args.channels.split(",")):
            with_feedback(args.database, channels, args.papers, args.feedback, args.signals)
        return
    folder = tempfile.mkdtemp(prefix="fanout-")
    print(
        "| database | channels | subscriptions | papers | mode | workers | wall s | ms/channel | peak RSS MB "
        "| pairs posted | repeats | setup: ingest / evidence / import s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for channels in (int(n) for n in args.channels.split(",")):
        for workers in (int(n) for n in args.workers.split(",")):
            url, schema = fresh_database(server_of(args.database), folder, "fanout")
            try:
                setup = prepare(url, args.papers, channels)
                dialect = make_engine(url).dialect.name
                head = f"| {dialect} | {channels} | {int(setup['lines'])} | {args.papers}"
                tail = f"{setup['ingest']:.1f} / {setup['evidence']:.1f} / {setup['import']:.1f} |"
                built = spawn(build_worker, url)[0]
                print(
                    f"{head} | build | 1 | {built['wall']:.1f} | {built['wall'] * 1000 / channels:.2f} "
                    f"| {built['rss']:.0f} | ({built['shown']} shown) | - | {tail}",
                    flush=True,
                )
                if args.build_only:
                    continue
                if args.e2e:
                    result = e2e(url)
                    print(
                        f"{head} | e2e deliver --now | 1 | {result['wall']:.1f} | {result['wall'] * 1000 / channels:.2f} "
                        f"| - | {int(result['pairs'])} | {int(result['repeats'])} | {tail}",
                        flush=True,
                    )
                    continue
                out = f"{folder}/posted-{uuid.uuid4().hex[:6]}"
                results = spawn(pass_worker, url, out, count=workers)
                posted = pairs(out, workers)
                wall = max(r["wall"] for r in results)
                print(
                    f"{head} | pass | {workers} | {wall:.1f} | {wall * 1000 / channels:.2f} "
                    f"| {max(r['rss'] for r in results):.0f} | {sum(posted.values())} "
                    f"| {sum(n - 1 for n in posted.values() if n > 1)} | {tail}",
                    flush=True,
                )
            finally:
                drop_database(server_of(args.database), schema)


if __name__ == "__main__":
    main()

"""Several delivery workers share one pass: each channel posted once, a platform's budget shared, not multiplied."""

from __future__ import annotations

import json
import multiprocessing as mp
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from bot.chat.transfer import import_lines
from bot.delivery.pacing import PacedResumingSender, SharedPace, paced
from bot.delivery.passes import deliver_due
from bot.delivery.senders import RecordingSender
from bot.domain import ChannelRef, Digest, Match, Paper
from bot.relevance.matching import Matcher
from bot.relevance.topics import default_taxonomy
from storage.engine import make_engine
from storage.uow import UnitOfWork

NOW = datetime.now(UTC)
DATA = Path(__file__).parent / "data"
QUERIES = (DATA / "fanout" / "queries.txt").read_text().split("\n")[:12]


def papers() -> list[Paper]:
    found = []
    for line in (DATA / "relevance" / "labelled.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        found.append(
            Paper(record["title"], record["abstract"], arxiv_id=record["id"], published_at=NOW - timedelta(days=1))
        )
    return found


class FileSender:
    """Appends each (channel, paper) it posts to a file shared by the workers."""

    def __init__(self, path: str) -> None:
        self.path = path

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        with open(self.path, "a", encoding="utf-8") as out:
            out.writelines(f"{channel}\t{m.paper.key}\n" for m in digest.matches)
        return [mark]

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        return None


def worker(url: str, path: str, start: mp.Event) -> None:  # type: ignore[valid-type]
    engine = make_engine(url)
    start.wait()
    deliver_due(engine, Matcher(default_taxonomy()), {"slack": FileSender(path)}, datetime.now(UTC))
    engine.dispose()


def test_four_workers_at_once_post_every_due_channel_exactly_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(papers())
        uow.commit()
    lines = [
        json.dumps({"channel": f"slack:T1:C{i}", "query": QUERIES[i % len(QUERIES)], "schedule": "00:00 UTC daily"})
        for i in range(120)
    ]
    assert not import_lines(engine, default_taxonomy(), lines).refused
    with engine.begin() as conn:
        conn.execute(text("UPDATE channel SET created_at = :t"), {"t": NOW - timedelta(days=2)})
    posted = tmp_path / "posted.tsv"
    context = mp.get_context("spawn")  # fresh processes: no connection of this one inherited
    start = context.Event()
    workers = [context.Process(target=worker, args=(database_url, str(posted), start)) for _ in range(4)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0

    pairs = Counter(posted.read_text().splitlines())
    assert pairs and max(pairs.values()) == 1  # no (channel, paper) posted twice
    with UnitOfWork(engine) as uow:
        recorded = uow.session.execute(text("SELECT channel, paper_key FROM delivered")).all()
        handled = uow.session.execute(text("SELECT count(*) FROM channel WHERE last_slot_at IS NOT NULL")).scalar_one()
    assert {f"{c}\t{k}" for c, k in recorded} == set(pairs)  # every recorded pair was posted, once
    assert handled == 120  # and every channel's slot was dealt with, by one of them


def test_reservations_in_a_shared_budget_follow_one_another(engine: Engine, database_url: str) -> None:
    other = make_engine(database_url)  # another process's connection to the same database
    waits: list[float] = []
    first = SharedPace(engine, "discord:global", per_second=10, clock=lambda: 1000.0, sleep=waits.append)
    second = SharedPace(other, "discord:global", per_second=10, clock=lambda: 1000.0, sleep=waits.append)

    assert first.wait(5) == 0.0  # the budget was idle: at once
    assert second.wait(5) == 0.5  # 5 requests at 10 a second: after the first's half second
    assert first.wait(10) == 1.0
    assert waits == [0.5, 1.0]
    other.dispose()


def test_a_paced_sender_reserves_each_post_before_it_goes(engine: Engine) -> None:
    waited: list[float] = []
    pace = SharedPace(engine, "discord:global", per_second=4, clock=lambda: 50.0, sleep=waited.append)
    platform = RecordingSender()
    sender = paced(platform, pace)
    digest = Digest(
        ChannelRef("discord", "G1", "C1"),
        tuple(Match(Paper(f"Paper {n}", "An abstract.", arxiv_id=f"2611.{n:05d}"), 0.9, ()) for n in range(5)),
    )

    sender.send(ChannelRef("discord", "G1", "C1"), digest, "m1")  # 3 messages (a thread) and opening it: 4
    sender.send(ChannelRef("discord", "G1", "C2"), digest, "m2")

    assert isinstance(sender, PacedResumingSender) and len(platform.messages) == 6
    assert waited == [4 / 4]

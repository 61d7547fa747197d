"""What a channel's model costs (bench/feedback.py prints it): training on 100 and 1,000 labelled papers and
scoring 200 candidates, cold, from counts stored in the database, and warm."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.domain import Paper
from bot.feedback.candidates import Candidates
from bot.feedback.learned import WORD_COUNTS, train
from bot.feedback.signals import Labels
from storage.engine import create_schema, make_engine
from storage.uow import UnitOfWork


def timings(papers: list[Paper], evidence: dict) -> None:
    """Cold: no paper's words counted before (a process's first post, before counts were stored); stored: a fresh
    process whose papers' counts are in the database (`paper_words`, read as `learned_digest` reads them: the
    read is timed); warm: the papers counted once already (`WORD_COUNTS`, as a pass meets the same papers in
    channel after channel and a channel's own again). Since papers are counted when they arrive (`assess_news`),
    a channel's model meets cold papers only for those stored before that: a post pays *stored* or *warm*."""
    print(
        "\n| labelled papers | train, cold / stored / warm (median of 5) | score 200 candidates, cold / stored / warm "
        "| a channel's re-rank, cold / stored / warm | channels a minute, one core, warm |"
    )
    print("|---|---|---|---|---|")
    engine = make_engine("sqlite:///" + str(Path(tempfile.mkdtemp()) / "words.db"))
    create_schema(engine)
    for size in (100, 1000):
        sample = papers[:size]
        labels = Labels(tuple(sample[: size // 10]), tuple(sample[size // 10 : size // 5]), tuple(sample[size // 5 :]))
        candidates = papers[size : size + 200]
        times: dict[str, list[float]] = defaultdict(list)
        for _ in range(5):
            WORD_COUNTS.clear()
            for state in ("cold", "stored", "warm"):
                if state == "stored":
                    with UnitOfWork(engine) as uow:
                        uow.words.store(WORD_COUNTS.fresh().items())
                        uow.commit()
                    WORD_COUNTS.clear()
                started = time.perf_counter()
                if state == "stored":
                    with UnitOfWork(engine) as uow:
                        WORD_COUNTS.recall(uow.words.load([p.key for p in (*sample, *candidates)]))
                taste = train(labels, evidence)
                trained = time.perf_counter()
                assert taste is not None
                taste.liking(Candidates().rows(candidates, evidence))
                times[f"train {state}"].append(trained - started)
                times[f"score {state}"].append(time.perf_counter() - trained)
        t = {name: statistics.median(values) * 1000 for name, values in times.items()}
        total = {state: t[f"train {state}"] + t[f"score {state}"] for state in ("cold", "stored", "warm")}
        print(
            f"| {size:,} | {t['train cold']:.0f} / {t['train stored']:.0f} / {t['train warm']:.0f} ms "
            f"| {t['score cold']:.0f} / {t['score stored']:.0f} / {t['score warm']:.0f} ms "
            f"| {total['cold']:.0f} / {total['stored']:.0f} / {total['warm']:.0f} ms | {60_000 / total['warm']:,.0f} |"
        )
    arriving = []
    for _ in range(5):
        WORD_COUNTS.clear()
        started = time.perf_counter()
        WORD_COUNTS.counts(papers[:1000])
        arriving.append(time.perf_counter() - started)
    print(
        f"\nCounting a paper's words when it arrives (`assess_news` stores them, so a post reads them: *stored*): "
        f"{statistics.median(arriving):.3f} ms a paper, median of 5 batches of 1,000"
    )

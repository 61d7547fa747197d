"""Find benchmark: a corpus of real and varied arXiv papers, typo queries, our search against a naive scan.

    .venv/bin/python bench/find.py --sizes 100000,1000000 [--database-url URL] [--queries N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain import Paper, normalise_title  # noqa: E402

ARXIV = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"
if not ARXIV.exists():  # run from a clone elsewhere: the shared data sits beside the working tree
    ARXIV = Path("/work/shared/data/arxiv/daily-arxiv-cs-2026Q2.jsonl")

# Words a half-remembering person drops first, and never typos into something distinctive.
SMALL = frozenset("a an the of for and in on with to via from by at is are as its into towards toward".split())
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def load_real(path: Path = ARXIV) -> list[Paper]:
    papers = []
    start = datetime(2026, 4, 5, tzinfo=timezone.utc)
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        papers.append(
            Paper(
                title=" ".join(record["title"].split()),
                abstract=" ".join(record["summary"].split()),
                arxiv_id=record["id"],
                authors=tuple(record["authors"]),
                categories=tuple(record["categories"]),
                published_at=start,
                source="arxiv",
            )
        )
    return papers


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def _split_title(title: str) -> tuple[str, str] | None:
    head, sep, tail = title.partition(": ")
    return (head, tail) if sep and head and tail else None


class Variations:
    """New papers made from real ones: recombined titles and abstracts, shuffled author lists.

    Titles are crossovers: thirds of three real titles, the first part of one and the last of
    another, one paper's name with another's subtitle (one word changed); a few are a real
    title with a prefix or suffix ("Towards ...", "...: A Survey") or with one word changed,
    so near-duplicates exist as on arXiv, without every real title having dozens of them.
    """

    PREFIXES = ("Towards ", "On ", "Rethinking ", "Revisiting ", "Scaling ", "Efficient ", "Robust ", "Learning ")
    SUFFIXES = (" Revisited", ": A Survey", ": An Empirical Study", " at Scale", ": A Benchmark", " in the Wild")

    def __init__(self, real: list[Paper], seed: int = 7) -> None:
        self.real = real
        self.rng = random.Random(seed)
        self.authors = sorted({a for p in real for a in p.authors})
        self.words = [w for p in real for w in p.title.split() if w.lower() not in SMALL and w.isalpha()]
        self.seen = {normalise_title(p.title) for p in real}
        self.ids = {p.arxiv_id for p in real}
        self.number = 0
        self.sentences = [_sentences(p.abstract) for p in real]

    def title(self) -> str:
        rng, real = self.rng, self.real
        a, b, c = (rng.choice(real).title.split() for _ in range(3))
        kind = rng.random()
        if kind < 0.25 and (sa := _split_title(" ".join(a))) and (sb := _split_title(" ".join(b))):
            tail = sb[1].split()  # another paper's subtitle, one word changed
            tail[rng.randrange(len(tail))] = rng.choice(self.words)
            return f"{sa[0]}: {' '.join(tail)}"
        if kind < 0.65 and min(len(a), len(b), len(c)) > 5:  # thirds of three titles
            return " ".join(a[: len(a) // 3] + b[len(b) // 3 : 2 * len(b) // 3] + c[2 * len(c) // 3 :])
        if kind < 0.92 and min(len(a), len(b)) > 3:  # first part of one, last part of another
            cut = rng.uniform(0.35, 0.65)
            return " ".join(a[: round(len(a) * cut)] + b[round(len(b) * cut) :])
        title = " ".join(a)
        if kind < 0.97:
            if rng.random() < 0.5:
                first = title[0].lower() + title[1:] if title[1:2].islower() else title
                return rng.choice(self.PREFIXES) + first
            return title.rstrip(".") + rng.choice(self.SUFFIXES)
        a[rng.randrange(len(a))] = rng.choice(self.words)  # a near-duplicate: one word changed
        return " ".join(a)

    def paper(self) -> Paper:
        rng = self.rng
        while True:
            title = self.title()
            key = normalise_title(title)
            if key not in self.seen:
                self.seen.add(key)
                break
        one, two = rng.randrange(len(self.real)), rng.randrange(len(self.real))
        first, second = self.sentences[one], self.sentences[two]
        one = self.real[one]
        abstract = " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])
        while True:  # synthetic ids from months the real corpus does not use
            self.number += 1
            month, number = divmod(self.number, 99_999)
            arxiv_id = f"{15 + month // 12}{1 + month % 12:02d}.{number + 1:05d}"
            if arxiv_id not in self.ids:
                break
        return Paper(
            title=title,
            abstract=abstract,
            arxiv_id=arxiv_id,
            authors=tuple(rng.sample(self.authors, rng.randint(1, 8))),
            categories=one.categories,
            published_at=one.published_at - timedelta(days=rng.randint(1, 3000)) if one.published_at else None,
            source="arxiv",
        )


def corpus(size: int, real: list[Paper], seed: int = 7) -> list[Paper]:
    """`size` papers: every real one (or the first `size`), then variations."""
    papers = list(real[:size])
    variations = Variations(real, seed)
    papers.extend(variations.paper() for _ in range(size - len(papers)))
    return papers


@dataclass(frozen=True)
class Query:
    text: str
    target: str  # the arXiv id of the paper meant
    kind: str


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: a missed, doubled, swapped or neighbouring key."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    if kind == 2:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + rng.choice(KEYBOARD) + word[at + 1 :]


def _with_typos(words: list[str], rng: random.Random, count: int) -> list[str]:
    words = list(words)
    spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.lower() not in SMALL]
    for at in rng.sample(spots, min(count, len(spots))):
        words[at] = typo(words[at], rng)
    return words


def queries(targets: list[Paper], count: int, seed: int = 11) -> list[Query]:
    """Half-remembered queries: typos, dropped words, swapped order, partial titles, authors."""
    rng = random.Random(seed)
    kinds = ("typos", "dropped", "swapped", "partial", "typos", "dropped", "partial", "author")
    out: list[Query] = []
    pool = [p for p in targets if len(p.title.split()) >= 4 and p.arxiv_id]
    for number, paper in enumerate(rng.sample(pool, count)):
        kind = kinds[number % len(kinds)]
        words = re.findall(r"[\w'*-]+", paper.title)
        if rng.random() < 0.7:
            words = [w.lower() for w in words]
        if kind == "typos":
            words = _with_typos(words, rng, rng.randint(1, 2))
        elif kind == "dropped":
            keep = sorted(rng.sample(range(len(words)), max(3, round(len(words) * rng.uniform(0.55, 0.8)))))
            words = _with_typos([words[i] for i in keep], rng, rng.randint(1, 2))
        elif kind == "swapped":
            words = _with_typos(words, rng, 1)
            i, j = rng.sample(range(len(words)), 2)
            words[i], words[j] = words[j], words[i]
            if rng.random() < 0.5:
                rng.shuffle(words)
        elif kind == "partial":
            words = _with_typos(words[: max(3, round(len(words) * rng.uniform(0.6, 0.8)))], rng, rng.randint(0, 1))
        else:  # an author's surname and a few distinctive title words
            surname = rng.choice(paper.authors[:3]).split()[-1] if paper.authors else ""
            content = [w for w in words if w.lower() not in SMALL]
            words = [surname, *_with_typos(rng.sample(content, min(len(content), rng.randint(2, 3))), rng, 1)]
        out.append(Query(" ".join(words), paper.arxiv_id or "", kind))
    return out


# ---------------------------------------------------------------------------------------
# The benchmark: ingest, then our search and the naive scan, each in a process of its own.

def ingest(url: str, papers: list[Paper], batch: int = 10_000) -> float:
    from storage.engine import create_schema, make_engine
    from storage.uow import UnitOfWork

    if url.startswith("sqlite"):  # a new file: drop_all would leave the FTS tables behind
        path = Path(url.split("///", 1)[1])
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
    engine = make_engine(url)
    create_schema(engine)
    started = time.perf_counter()
    for at in range(0, len(papers), batch):
        with UnitOfWork(engine) as uow:
            uow.papers.merge(papers[at : at + batch])
            uow.commit()
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def database_size(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    from sqlalchemy import text

    from storage.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')")).scalar_one()
    engine.dispose()
    return int(size or 0)


def rss_mb() -> float:
    """Peak RSS of this process (VmHWM: ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def search_worker(kind: str, url: str, path: Path) -> dict[str, object]:
    """Answer every query in `path`; report latencies, hits and this process's peak RSS."""
    items = [Query(**q) for q in json.loads(path.read_text())]
    if kind == "ours":
        from bot.find import Finder
        from storage.engine import make_engine

        finder = Finder(make_engine(url))
        started = time.perf_counter()
        finder.warm()
        warm = time.perf_counter() - started

        def answer(text: str) -> list[str]:
            return [f.paper.arxiv_id or "" for f in finder.find(text, limit=3)]
    else:
        from rapidfuzz import fuzz, process
        from rapidfuzz.utils import default_process
        from sqlalchemy import text as sql

        from storage.engine import make_engine

        started = time.perf_counter()
        with make_engine(url).connect() as conn:
            rows = conn.execute(sql("SELECT arxiv_id, title FROM paper")).all()
        ids = [r[0] for r in rows]
        titles = [default_process(r[1]) for r in rows]
        del rows
        warm = time.perf_counter() - started

        def answer(text: str) -> list[str]:
            found = process.extract(default_process(text), titles, scorer=fuzz.WRatio, processor=None, limit=3)
            return [ids[index] for _, _, index in found]
    latencies, hit1, hit3, misses = [], 0, 0, []
    for item in items:
        started = time.perf_counter()
        got = answer(item.text)
        latencies.append((time.perf_counter() - started) * 1000)
        hit1 += bool(got) and got[0] == item.target
        hit3 += item.target in got[:3]
        if not got or got[0] != item.target:
            misses.append([item.kind, item.text, item.target, got[:3]])
    latencies.sort()
    return {
        "queries": len(items), "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)],
        "hit1": hit1 / len(items), "hit3": hit3 / len(items), "rss_mb": rss_mb(), "warm_s": warm,
        "misses": misses,
    }


def run_worker(kind: str, url: str, items: list[Query]) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([q.__dict__ for q in items], handle)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--database-url", url, "--queries-file", handle.name],
        check=True, capture_output=True, text=True,
    )
    os.unlink(handle.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def schema_url(url: str, size: int) -> str:
    """PostgreSQL: a schema of the benchmark's own per size, so nothing else is touched."""
    if url.startswith("sqlite"):
        return url
    from sqlalchemy import text

    from storage.engine import make_engine

    schema = f"bench_find_{size}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema},public"


def table(size: int, result: dict[str, object], baseline: dict[str, object] | None) -> str:
    rows = [("", "ours", "naive extractOne")]
    ours, naive = result["ours"], result["naive"]
    rows.append(("ingest (s)", f"{result['ingest_s']:.1f}", "(same corpus)"))
    rows.append(("database size (MB)", f"{result['db_mb']:.0f}", ""))
    for name, key, fmt in (("RSS of searcher (MB)", "rss_mb", "{:.0f}"), ("p50 (ms)", "p50_ms", "{:.1f}"),
                           ("p99 (ms)", "p99_ms", "{:.1f}"), ("hit@1", "hit1", "{:.3f}"), ("hit@3", "hit3", "{:.3f}"),
                           ("start-up (s)", "warm_s", "{:.1f}")):
        rows.append((name, fmt.format(ours[key]), fmt.format(naive[key]) if naive else "-"))
    if naive:
        rows.append(("p50 speed-up", f"{naive['p50_ms'] / ours['p50_ms']:.0f}x", ""))
    if baseline:
        old = baseline["ours"]
        rows.append(("vs baseline", f"p50 {old['p50_ms']:.1f} -> {ours['p50_ms']:.1f} ms, hit@1 {old['hit1']:.3f} -> {ours['hit1']:.3f}", ""))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"## {size:,} papers, {result['database']}, {ours['queries']} queries"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |" for r in rows[:1]]
    lines.append("|" + "|".join("-" * (w + 2) for w in width) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |" for r in rows[1:]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--naive-queries", type=int, default=0, help="run the naive scan on the first N queries (default all)")
    parser.add_argument("--baseline", type=Path, help="a JSON file from --save to compare against")
    parser.add_argument("--save", type=Path, help="write the results as JSON here")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="search an already ingested database (no ingest)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(search_worker(args.worker, args.database_url, args.queries_file)))
        return
    real = load_real()
    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    results = {}
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    for size in [int(s) for s in args.sizes.split(",")]:
        url = args.database_url or f"sqlite:///{out / f'find-{size}.db'}"
        items = queries(real, args.queries)
        if not args.reuse:
            url = schema_url(url, size)
            papers = corpus(size, real)
            seconds = ingest(url, papers)
            del papers
        else:
            url, seconds = (url if url.startswith("sqlite") else f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3Dbench_find_{size},public"), float("nan")
        result = {"database": url.split(":", 1)[0], "ingest_s": seconds, "db_mb": database_size(url) / 1e6}
        result["ours"] = run_worker("ours", url, items)
        naive_items = items[: args.naive_queries] if args.naive_queries else items
        result["naive"] = run_worker("naive", url, naive_items) if args.naive_queries >= 0 else None
        results[str(size)] = result
        print(table(size, result, baseline.get(str(size))), flush=True)
        if args.show_misses:
            for miss in result["ours"]["misses"]:
                print("  miss:", miss)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

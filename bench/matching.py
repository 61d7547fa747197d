"""Matching benchmark: first read and subscription throughput on 20k arXiv papers, plus dumps to diff results.

Each run is a fresh process (the stemmer's cache is process-wide, so a second run in the same
process would flatter the first read); the table shows every run and the best of them.

- first read: a fresh Matcher reads all 20k papers (tokens, stems) before any subscription;
- match: the 10 SUBSCRIPTIONS below, each `match_many` over all papers, on that Matcher;
- cold: the same 10 subscriptions on another fresh Matcher, reading included (a restart);
- dry run: one new query over the 5,000 newest papers, on a fresh Matcher (cold) and on the
  Matcher that has read them (warm), as `/papers subscribe` previews it.

    nice .venv/bin/python bench/matching.py [--runs 3] [--dump FILE] [--evidence FILE]

`--dump` writes every (query, paper id, score, why) in ranked order; `--evidence` writes the raw
points and reasons of every topic in the taxonomy on every paper that has any (slow before the
optimisation: minutes). Diff two dumps to prove a change kept every result.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain import Paper  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import default_taxonomy  # noqa: E402
from bot.sources import parse_file  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"  # ../shared/data, or --corpus
# Topic slugs with big and small subtrees, AND, OR, a phrase, cat:, author:, exclusions.
SUBSCRIPTIONS = (
    "reinforcement-learning",
    "large-language-models",
    "computer-vision -survey",
    "robotics OR navigation",
    "diffusion-models video-generation",
    '"world model"',
    "graph-neural-networks cat:cs.LG",
    'author:"Yang Liu" OR author:levine',
    'speech-and-audio -"hate speech"',
    "medical-imaging OR time-series OR code-generation",
)
DRY_RUN = 'federated-learning OR "continual learning"'
WEEK = 5_000


def load(path: Path = CORPUS) -> list[Paper]:
    return parse_file(path).papers


def newest(papers: list[Paper], n: int = WEEK) -> list[Paper]:
    return sorted(papers, key=lambda p: (p.published_at is not None, p.published_at, p.key))[-n:]


def _first_read(matcher: Matcher, papers: list[Paper]) -> None:
    prepare = getattr(matcher, "prepare", None)
    if prepare is not None:
        prepare(papers)
    else:  # the matcher before `prepare` existed read a paper in `_text`
        for paper in papers:
            matcher._text(paper)


def one_run(corpus: Path = CORPUS) -> dict:
    """One measurement in this process; a dict of seconds and sizes."""
    taxonomy = default_taxonomy()
    queries = [parse_query(q, taxonomy) for q in SUBSCRIPTIONS]
    dry = parse_query(DRY_RUN, taxonomy)
    start = time.perf_counter()
    papers = load(corpus)
    parse_s = time.perf_counter() - start
    week = newest(papers)

    cold_matcher = Matcher(taxonomy)
    start = time.perf_counter()
    cold_found = sum(len(cold_matcher.match_many(dry, week)) for _ in (0,))
    dry_cold_s = time.perf_counter() - start

    matcher = Matcher(taxonomy)
    start = time.perf_counter()
    _first_read(matcher, papers)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    found = sum(len(matcher.match_many(q, papers)) for q in queries)
    match_s = time.perf_counter() - start
    start = time.perf_counter()
    warm_found = len(matcher.match_many(dry, week))
    dry_warm_s = time.perf_counter() - start
    assert warm_found == cold_found

    restart = Matcher(taxonomy)
    start = time.perf_counter()
    sum(len(restart.match_many(q, papers)) for q in queries)
    cold_s = time.perf_counter() - start
    return {
        "papers": len(papers),
        "subscriptions": len(queries),
        "parse_s": parse_s,
        "read_s": read_s,
        "match_s": match_s,
        "per_s": len(papers) * len(queries) / match_s,
        "cold_s": cold_s,
        "dry_cold_s": dry_cold_s,
        "dry_warm_s": dry_warm_s,
        "week": len(week),
        "found": found,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def dump(path: Path, corpus: Path = CORPUS) -> None:
    """Every match of every subscription (and of the dry run), best first, one JSON line each."""
    taxonomy = default_taxonomy()
    papers = load(corpus)
    matcher = Matcher(taxonomy)
    with path.open("w", encoding="utf-8") as out:
        for text in (*SUBSCRIPTIONS, DRY_RUN):
            for m in matcher.match_many(parse_query(text, taxonomy), papers):
                row = {"query": text, "paper": m.paper.key, "score": m.score, "why": list(m.why)}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def dump_evidence(path: Path, corpus: Path = CORPUS) -> None:
    """Raw points (repr, so every bit shows) and reasons of every topic on every paper with any."""
    taxonomy = default_taxonomy()
    papers = load(corpus)
    matcher = Matcher(taxonomy)
    with path.open("w", encoding="utf-8") as out:
        for topic in taxonomy:
            for paper in papers:
                points, why = matcher.topic_evidence(topic.slug, paper)
                if points or why:
                    row = {"topic": topic.slug, "paper": paper.key, "points": repr(points), "why": list(why)}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")


COLUMNS = (
    ("papers", "papers", "{:d}"),
    ("subs", "subscriptions", "{:d}"),
    ("first read s", "read_s", "{:.2f}"),
    ("match s", "match_s", "{:.2f}"),
    ("matches/s", "per_s", "{:,.0f}"),
    ("cold s", "cold_s", "{:.2f}"),
    ("dry cold s", "dry_cold_s", "{:.3f}"),
    ("dry warm s", "dry_warm_s", "{:.3f}"),
    ("peak RSS MB", "rss_mb", "{:.0f}"),
)


def table(rows: list[dict]) -> str:
    best = {k: min(r[k] for r in rows) for k in rows[0] if k.endswith("_s")}
    best["per_s"] = max(r["per_s"] for r in rows)
    best.update({k: rows[0][k] for k in ("papers", "subscriptions", "rss_mb")})
    best["rss_mb"] = max(r["rss_mb"] for r in rows)
    lines = ["| run | " + " | ".join(name for name, _, _ in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for label, row in [*((str(i + 1), r) for i, r in enumerate(rows)), ("best", best)]:
        lines.append(f"| {label} | " + " | ".join(fmt.format(row[key]) for _, key, fmt in COLUMNS) + " |")
    found = rows[0]["found"]
    lines.append(
        f"\n{found} matches in all; parse {min(r['parse_s'] for r in rows):.2f} s (not counted); "
        f"dry run `{DRY_RUN}` over the {rows[0]['week']} newest papers"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to time; the best is shown")
    parser.add_argument("--dump", type=Path, help="write every (query, paper, score, why) here")
    parser.add_argument("--evidence", type=Path, help="write every topic's raw points on every paper here")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="arXiv JSONL (default: ../shared/data/arxiv/…)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: one run, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.corpus)))
        return
    if args.dump:
        dump(args.dump, args.corpus)
    if args.evidence:
        dump_evidence(args.evidence, args.corpus)
    rows = []
    for _ in range(args.runs):
        child = subprocess.run(
            [sys.executable, __file__, "--one", "--corpus", str(args.corpus)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    if rows:
        print(table(rows))


if __name__ == "__main__":
    main()

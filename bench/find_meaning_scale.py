"""Find by meaning at scale: build time and RSS of the meaning index, latency of `papers-bot find --stdin`.

.venv/bin/python bench/find_meaning_scale.py --size 1000000 [--reuse] [--database-url URL]

The corpus is bench/find.py's (the 20,244 real papers and variations of them up to the size). One
query a line is written to `papers-bot find --stdin --json --mode M` and its answer read before the
next is written, so each latency is one query's, pipe included. Meaning queries are the 200 of
find_meaning_queries.jsonl; title lookups are bench/find.py's 240 typo queries (seed 11).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from find import ingest

from find_corpus import corpus, load_real, queries

OUT = Path(__file__).parent / "out"
BOT = Path(sys.executable).with_name("papers-bot")


def build_index(url: str) -> dict[str, float]:
    """Build (or reopen) the meaning index in a process of its own: its seconds and peak RSS."""
    code = (
        "import time, json, sys; from pathlib import Path\n"
        "from bot.retrieval.meaning import MeaningIndex\nfrom storage.engine import make_engine\n"
        "t = time.perf_counter(); MeaningIndex(make_engine(sys.argv[1])).warm(); s = time.perf_counter() - t\n"
        "hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')][0]\n"
        "print(json.dumps({'seconds': s, 'rss_mb': int(hwm.split()[1]) / 1024}))"
    )
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def pipe(url: str, mode: str, texts: list[str]) -> tuple[list[float], list[list[str]], float]:
    """Latencies (ms) and answers of `find --stdin` for each text, and the process's RSS at the end (MB)."""
    env = os.environ | {"DATABASE_URL": url}
    command = [str(BOT), "find", "--stdin", "--json", "--limit", "10", "--mode", mode]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
    assert process.stdin and process.stdout
    latencies, answers = [], []
    process.stdin.write("warm up\n")  # the first line reads the indexes: a start-up, not a query
    process.stdout.readline()
    for text in texts:
        started = time.perf_counter()
        process.stdin.write(text.replace("\n", " ") + "\n")
        line = process.stdout.readline()
        latencies.append((time.perf_counter() - started) * 1000)
        answer = json.loads(line)
        answers.append([a["id"] for a in answer] if isinstance(answer, list) else [])
    status = Path(f"/proc/{process.pid}/status").read_text().splitlines()
    rss = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))
    process.stdin.close()
    process.wait()
    return latencies, answers, rss


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true", help="the database is ingested already")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{OUT / f'find-{args.size}.db'}"
    real = load_real()
    row: dict[str, object] = {"size": args.size}
    if not args.reuse:
        papers = corpus(args.size, real)
        row["ingest_s"] = ingest(url, papers)
        del papers
    row["index"] = build_index(url)
    row["reopen"] = build_index(url)  # a restart: the folder is there
    cases = [
        json.loads(line) for line in (Path(__file__).parent / "find_meaning_queries.jsonl").read_text().splitlines()
    ]
    texts = [c[kind] for c in cases for kind in ("description", "question")]
    targets = [c["id"] for c in cases for _ in (0, 1)]
    for mode in ("meaning", "auto"):
        latencies, answers, rss = pipe(url, mode, texts)
        hits = sum(t in a for t, a in zip(targets, answers, strict=True)) / len(texts)
        row[mode] = {
            "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99),
            "hit10": hits,
            "rss_mb": rss,
        }
    typos = queries(real, 240, seed=11)
    latencies, answers, rss = pipe(url, "auto", [q.text for q in typos])
    hit1 = sum(bool(a) and a[0] == q.target for q, a in zip(typos, answers, strict=True)) / len(typos)
    row["title_auto"] = {
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "hit1": hit1,
        "rss_mb": rss,
    }
    latencies, answers, rss = pipe(url, "title", [q.text for q in typos])
    hit1 = sum(bool(a) and a[0] == q.target for q, a in zip(typos, answers, strict=True)) / len(typos)
    row["title"] = {
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "hit1": hit1,
        "rss_mb": rss,
    }
    print(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()

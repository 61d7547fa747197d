"""Ingest benchmark: `papers-bot ingest` of large JSONL files, its time and its peak memory, hostile lines included.

Each run is `papers-bot ingest FILE` in a fresh process on a fresh database; its peak RSS is the
kernel's (`wait4`'s `ru_maxrss`) for that process alone.

- the file: the 20,244 real arXiv papers of `../shared/data/arxiv/`, then, past that size,
  the same papers again under new ids (one per month and number, from 1501 on) with the
  number in the title, so every line is a paper of its own;
- `--hostile`: the lines of issue 21 at seeded random positions (an upvote count of 10^30 and
  one of 2^31, a date beyond the calendar, a lone surrogate, a NUL in a URL, an old-style id
  of 300 letters, `2604.012745` beside `2604.01274`, a 50 MB title and a 10 MB abstract);
- `--code DIR`: run another checkout's code (`git archive REV | tar -x -C DIR`) for a before/after;
- `--corpus FILE`: another arXiv JSONL than `../shared/data/arxiv/daily-arxiv-cs-2026Q2.jsonl`.

    nice .venv/bin/python bench/ingest_memory.py --sizes 20244,100000,1000000
    nice .venv/bin/python bench/ingest_memory.py --sizes 20244 --hostile --database-url postgresql+psycopg://...
    BEFORE=$(mktemp -d) && git archive REV | tar -x -C "$BEFORE"
    nice .venv/bin/python bench/ingest_memory.py --sizes 20244,100000 --code "$BEFORE"

Files go to `--out` (default: `papers-bot-bench` in the temporary folder, `tempfile.gettempdir()`; a
million lines is 1.8 GB); nothing here is committed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"
)  # or --corpus
MAIN = "import sys; from adapters.cli import main; sys.argv[0] = 'papers-bot'; main()"


def hostile_lines(corpus_first: dict) -> list[str]:
    return [
        '{"title": "Huge upvotes", "abstract": "x", "upvotes": 1000000000000000000000000000000}',
        '{"title": "Many upvotes", "abstract": "x", "upvotes": 2147483648}',
        '{"title": "Late", "abstract": "x", "published_at": "9999-12-31T23:59:59-14:00"}',
        '{"title": "Lone \\ud800 surrogate", "abstract": "x"}',
        '{"title": "NUL link", "abstract": "x", "url": "https://arxiv.org/abs/\\u0000x"}',
        json.dumps({"title": "Long id", "abstract": "x", "id": "a" * 300 + "/9901001"}),
        json.dumps({**corpus_first, "id": corpus_first["id"] + "5", "upvotes": 99}),
        json.dumps({"title": "Long title " * 5_000_000, "abstract": "x"}),
        json.dumps({"title": "Long abstract", "abstract": "words " * 1_750_000}),
    ]


def make_file(out: Path, size: int, hostile: bool, corpus_path: Path = CORPUS) -> Path:
    path = out / f"ingest-{size}{'-hostile' if hostile else ''}.jsonl"
    if path.exists():
        return path
    corpus = corpus_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in corpus]
    extra = hostile_lines(records[0]) if hostile else []
    rng = random.Random(21)
    at: dict[int, list[str]] = {}
    for line in extra:
        at.setdefault(rng.randrange(1, size), []).append(line)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        for n in range(size):
            for line in at.get(n, ()):
                file.write(line + "\n")
            if n < len(corpus):
                file.write(corpus[n] + "\n")
                continue
            record = records[n % len(records)]
            k = n - len(corpus)
            month = 1501 + (k // 99_999 // 12) * 100 + (k // 99_999) % 12
            paper_id = f"{month}.{k % 99_999 + 1:05d}"
            file.write(
                json.dumps(
                    record
                    | {"id": paper_id, "title": f"{record['title']} ({n})", "abs": f"https://arxiv.org/abs/{paper_id}"}
                )
                + "\n"
            )
    tmp.rename(path)
    return path


def fresh_database(url: str, out: Path, label: str) -> tuple[str, object]:
    """A database of its own: a new SQLite file, or a new PostgreSQL schema (dropped after)."""
    if url.startswith("sqlite"):
        path = out / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", None
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text

    from storage.engine import make_engine

    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema},public", (admin, schema)


def drop(handle: object) -> None:
    if handle is None:
        return
    from sqlalchemy import text

    admin, schema = handle  # type: ignore[misc]
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def run(code: Path, url: str, path: Path) -> dict[str, object]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", MAIN, "ingest", str(path)],
        env=env,
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr_lines: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:  # read as it comes: a pipe left full would stall the child
        stderr_lines.append(line.rstrip("\n"))
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    said = [line for line in stderr_lines if line.strip()]
    return {
        "seconds": seconds,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "summary": said[-1] if said else "",
        "skipped": [line for line in said if line.startswith("skipped:")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20244,100000,1000000")
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="arXiv JSONL (default: ../shared/data/arxiv/…)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code runs (default: this one)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "papers-bot-bench")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    rows = []
    for size in map(int, args.sizes.split(",")):
        path = make_file(args.out, size, args.hostile, args.corpus)
        url, handle = fresh_database(args.database_url, args.out, f"ingest-{size}")
        try:
            result = run(args.code, url, path)
        finally:
            drop(handle)
        rows.append((size, path.stat().st_size / 1e6, result))
        for line in result["skipped"]:  # type: ignore[union-attr]
            print(f"  {line[:160]}")

    database = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
    print(f"\ncode: {args.code}   database: {database}   hostile lines: {'yes' if args.hostile else 'no'}")
    print("| papers | file MB | seconds | lines/s | peak RSS MB | exit | summary |")
    print("|---|---|---|---|---|---|---|")
    for size, megabytes, result in rows:
        print(
            f"| {size:,} | {megabytes:,.0f} | {result['seconds']:.1f} | {size / result['seconds']:,.0f} "  # type: ignore[operator]
            f"| {result['rss_mb']:.0f} | {result['exit']} | {result['summary']} |"
        )


if __name__ == "__main__":
    main()

"""Find by meaning: half-remembered descriptions and questions against the 20k arXiv corpus, per engine and variant.

.venv/bin/python bench/find_meaning.py [--corpus PATH] [--methods today,bm25,...] [--database-url URL]

Each method runs in a process of its own (build time, latency and peak RSS are its own); the table
gives hit@10 and MRR (over the first 10) for each kind of query, p50/p99 latency, build time and RSS.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUERIES = Path(__file__).parent / "find_meaning_queries.jsonl"
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "daily-arxiv-cs-2026Q2.jsonl"
OUT = Path(__file__).parent / "out"
KINDS = ("description", "question")
DEFAULT = "today,bm25,fts5,bm25s,tantivy,tantivy+prf,wordllama,tantivy+wordllama,meaning,auto"

Search = Callable[[str], list[str]]


def load_corpus(path: Path) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"id": r["id"], "title": r["title"], "abstract": r.get("summary") or r.get("abstract", "")} for r in rows]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------------------------------------
# The methods: each builds what it needs from the corpus and returns a search (text -> ids, best first).


def database(url: str, papers: list[dict[str, str]]) -> str:
    """A database holding the corpus, ingested as the bot does (reused when it is there already)."""
    from bot.domain import Paper
    from storage.engine import create_schema, make_engine
    from storage.uow import UnitOfWork

    if not url:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"find-meaning-{len(papers)}.db"
        url = f"sqlite:///{path}"
        if path.exists():
            return url
    elif not url.startswith("sqlite"):  # PostgreSQL: a schema of the benchmark's own, kept for the next run
        from sqlalchemy import text

        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS bench_find_meaning"))
        admin.dispose()
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3Dbench_find_meaning,public"
    engine = make_engine(url)
    create_schema(engine)
    with UnitOfWork(engine) as uow:
        if uow.papers.get(papers[0]["id"]) is None:
            uow.papers.merge([Paper(p["title"], p["abstract"], arxiv_id=p["id"], source="arxiv") for p in papers])
            uow.commit()
    engine.dispose()
    return url


def finder_search(url: str, mode: str) -> Search:
    from bot.find.finder import Finder
    from storage.engine import make_engine

    finder = Finder(make_engine(url))
    finder.warm()
    return lambda text: [f.paper.arxiv_id or "" for f in finder.find(text, limit=10, mode=mode)]


def plain_bm25(papers: list[dict[str, str]]) -> Search:
    """BM25 (k1 1.2, b 0.75) over title twice and abstract, words as typed: no stemming, no stop words."""
    import bm25s

    ids = [p["id"] for p in papers]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(
        bm25s.tokenize(
            [f"{p['title']} {p['title']} {p['abstract']}" for p in papers], stopwords=None, show_progress=False
        ),
        show_progress=False,
    )

    def search(text: str) -> list[str]:
        query = bm25s.tokenize([text], stopwords=None, show_progress=False)
        if not query.vocab:
            return []
        found, _ = retriever.retrieve(query, k=10, show_progress=False)
        return [ids[i] for i in found[0]]

    return search


def bm25s_stemmed(papers: list[dict[str, str]]) -> Search:
    """bm25s with Snowball stems, over title twice and abstract; the query's content words only."""
    import bm25s
    import Stemmer

    from bot.retrieval.question import terms

    stemmer = Stemmer.Stemmer("english")
    ids = [p["id"] for p in papers]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    docs = [f"{p['title']} {p['title']} {p['abstract']}" for p in papers]
    retriever.index(bm25s.tokenize(docs, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)

    def search(text: str) -> list[str]:
        words = " ".join(terms(text))
        query = bm25s.tokenize([words], stopwords="en", stemmer=stemmer, show_progress=False)
        if not words or not query.vocab:
            return []
        found, _ = retriever.retrieve(query, k=10, show_progress=False)
        return [ids[i] for i in found[0]]

    return search


def fts5(papers: list[dict[str, str]]) -> Search:
    """SQLite FTS5 (porter) over title and abstract, bm25 with the title weighted 2; content words OR-ed."""
    import sqlite3

    from bot.retrieval.question import terms

    OUT.mkdir(exist_ok=True)
    path = OUT / "find-meaning-fts5.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(pid UNINDEXED, title, abstract, tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", [(p["id"], p["title"], p["abstract"]) for p in papers])
    db.commit()

    def search(text: str) -> list[str]:
        words = terms(text)
        if not words:
            return []
        query = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute("SELECT pid FROM t WHERE t MATCH ? ORDER BY bm25(t, 0, 2.0, 1.0) LIMIT 10", (query,))
        return [r[0] for r in rows]

    return search


def postgres(papers: list[dict[str, str]], url: str) -> Search:
    """PostgreSQL full text: title weight A, abstract C, content words OR-ed, ranked by ts_rank_cd."""
    from sqlalchemy import create_engine, text

    from bot.retrieval.question import terms

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_meaning"))
        conn.execute(text("CREATE TABLE bench_meaning (pid text, title text, abstract text)"))
        conn.execute(text("INSERT INTO bench_meaning VALUES (:id, :title, :abstract)"), papers)
        conn.execute(
            text(
                "ALTER TABLE bench_meaning ADD COLUMN search tsvector GENERATED ALWAYS AS ("
                "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', abstract), 'C')) STORED"
            )
        )
        conn.execute(text("CREATE INDEX ON bench_meaning USING GIN (search)"))
    conn = engine.connect()
    atexit.register(drop, engine, conn)

    def search(query: str) -> list[str]:
        words = terms(query)
        if not words:
            return []
        params = {f"w{i}": w for i, w in enumerate(words)}
        q = " || ".join(f"plainto_tsquery('english', :w{i})" for i in range(len(words)))
        sql = f"SELECT pid FROM bench_meaning, ({'SELECT ' + q} AS q) t WHERE search @@ q ORDER BY ts_rank_cd(search, q) DESC LIMIT 10"
        return [r[0] for r in conn.execute(text(sql), params)]

    return search


def drop(engine: Any, conn: Any) -> None:
    from sqlalchemy import text

    conn.close()
    with engine.begin() as done:
        done.execute(text("DROP TABLE IF EXISTS bench_meaning"))


def tantivy_index(papers: list[dict[str, str]]) -> Callable[..., list[str]]:
    """The retrieval layer's own index (bot/retrieval), built in a folder of its own."""
    from bot.retrieval.lexical import LexicalIndex
    from bot.retrieval.question import terms

    folder = OUT / "find-meaning-tantivy"
    index = LexicalIndex.create(folder)
    index.update(lambda after: [(n, p["title"], p["abstract"], "", "") for n, p in enumerate(papers, 1) if n > after])
    ids = {n: p["id"] for n, p in enumerate(papers, 1)}

    def texts(numbers: Sequence[int]) -> dict[int, str]:
        return {n: f"{papers[n - 1]['title']} {papers[n - 1]['abstract']}" for n in numbers}

    def search(text: str, feedback: bool = False) -> list[str]:
        found = index.search(text, 10)
        if feedback and found:  # pseudo-relevance feedback: the words typical of the first 5, at half weight
            first = index.search(text, 5)
            asked = dict.fromkeys(index.stems(" ".join(terms(text))), 1.0)
            more = index.typical(texts([n for n, _ in first]).values(), 10 + len(asked))
            words = {s: 0.5 * w for s, w in more.items() if s not in asked} | asked
            found = index.search_stems(dict(list(words.items())), 10)
        return [ids[n] for n, _ in found]

    return search


class Embedder:
    """wordllama (256 dimensions), loaded offline from its own package folder; cosine over unit vectors."""

    def __init__(self) -> None:
        import wordllama

        folder = Path(wordllama.__file__).parent
        self.model = wordllama.WordLlama.load(cache_dir=folder, disable_download=True, trunc_dim=256)

    def embed(self, texts: list[str]) -> Any:
        return self.model.embed(texts, norm=True, batch_size=256)

    def nearest(self, text: str, vectors: Any, limit: int) -> list[tuple[int, float]]:
        import numpy as np

        from bot.retrieval.question import terms

        scores = vectors @ self.embed([" ".join(terms(text)) or text])[0]
        top = np.argsort(-scores, kind="stable")[:limit]
        return [(int(i), float(scores[i])) for i in top]


def wordllama_alone(papers: list[dict[str, str]]) -> Search:
    embedder = Embedder()
    vectors = embedder.embed([f"{p['title']}. {p['abstract']}" for p in papers])

    def search(text: str) -> list[str]:
        return [papers[i]["id"] for i, _ in embedder.nearest(text, vectors, 10)]

    return search


def fused(papers: list[dict[str, str]]) -> Search:
    """tantivy, then wordllama's cosine; the two lists fused by reciprocal rank (wordllama weighing 0.35)."""
    from bot.retrieval.fusion import reciprocal_rank
    from bot.retrieval.lexical import LexicalIndex

    folder = OUT / "find-meaning-tantivy"
    index = LexicalIndex.create(folder)
    index.update(lambda after: [(n, p["title"], p["abstract"], "", "") for n, p in enumerate(papers, 1) if n > after])

    embedder = Embedder()
    vectors = embedder.embed([f"{p['title']}. {p['abstract']}" for p in papers])

    def search(text: str) -> list[str]:
        lexical = index.search(text, 100)
        meaning = embedder.nearest(text, vectors, 100)
        rankings = [[n for n, _ in lexical], [n + 1 for n, _ in meaning]]
        return [papers[n - 1]["id"] for n in reciprocal_rank(rankings, [1.0, 0.35])[:10]]

    return search


def build(method: str, papers: list[dict[str, str]], url: str) -> Search:
    if method in ("today", "meaning", "auto"):
        return finder_search(database(url, papers), "title" if method == "today" else method)
    if method == "bm25":
        return plain_bm25(papers)
    if method == "bm25s":
        return bm25s_stemmed(papers)
    if method == "fts5":
        return fts5(papers)
    if method == "postgres":
        return postgres(papers, url)
    if method in ("tantivy", "tantivy+prf"):
        search = tantivy_index(papers)
        return (lambda text: search(text, feedback=True)) if method.endswith("prf") else search
    if method == "wordllama":
        return wordllama_alone(papers)
    if method == "tantivy+wordllama":
        return fused(papers)
    raise SystemExit(f"unknown method {method}")


def worker(method: str, corpus: Path, url: str) -> dict[str, object]:
    papers = load_corpus(corpus)
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines()]
    started = time.perf_counter()
    search = build(method, papers, url)
    built = time.perf_counter() - started
    result: dict[str, object] = {"build_s": built}
    latencies = []
    for kind in KINDS:
        hits, reciprocal, misses = 0, 0.0, []
        for query in queries:
            started = time.perf_counter()
            got = search(query[kind])[:10]
            latencies.append((time.perf_counter() - started) * 1000)
            if query["id"] in got:
                hits += 1
                reciprocal += 1 / (got.index(query["id"]) + 1)
            else:
                misses.append(query["id"])
        result[kind] = {"hit10": hits / len(queries), "mrr": reciprocal / len(queries), "misses": misses}
    latencies.sort()
    result["p50_ms"] = statistics.median(latencies)
    result["p99_ms"] = latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)]
    result["rss_mb"] = rss_mb()
    return result


def table(results: dict[str, dict]) -> str:
    head = "| method | description hit@10 | MRR | question hit@10 | MRR | p50 ms | p99 ms | build s | peak RSS MB |"
    lines = [head, "|" + "---|" * 9]
    for method, r in results.items():
        d, q = r["description"], r["question"]
        lines.append(
            f"| {method} | {d['hit10']:.2f} | {d['mrr']:.2f} | {q['hit10']:.2f} | {q['mrr']:.2f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['build_s']:.1f} | {r['rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="the arXiv JSONL (default ../shared/data/arxiv/...)"
    )
    parser.add_argument("--methods", default=DEFAULT, help=f"comma-separated, of: {DEFAULT},postgres")
    parser.add_argument(
        "--database-url", default="", help="for today/meaning/auto (default a SQLite file in bench/out) and postgres"
    )
    parser.add_argument("--save", type=Path, help="write the results as JSON here")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"no corpus at {args.corpus}: give --corpus PATH")
    if args.worker:
        print(json.dumps(worker(args.worker, args.corpus, args.database_url)))
        return
    results = {}
    for method in args.methods.split(","):
        command = [
            sys.executable,
            __file__,
            "--worker",
            method,
            "--corpus",
            str(args.corpus),
            "--database-url",
            args.database_url,
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(f"{method}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        results[method] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{method}: {json.dumps({k: v for k, v in results[method].items() if k not in KINDS})}", file=sys.stderr)
    print(table(results))
    if args.show_misses:
        for method, r in results.items():
            print(method, {kind: r[kind]["misses"] for kind in KINDS})
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

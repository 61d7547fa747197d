"""Relevance benchmark: precision, recall and F1 per topic on the hand-labelled set, and macro F1.

Scoring rule: a paper labelled "relevant" must be matched (it counts for recall); a paper
labelled "not" must not be matched (a match is a false positive); a paper labelled "partial"
is neither required nor penalised: matching it is a true positive, missing it costs nothing.
So precision = matched relevant-or-partial / matched, recall = matched relevant / relevant.

    .venv/bin/python bench/relevance.py [--set tests/data/relevance/labelled.jsonl] [--misses]
        [--split all|tune|held-out] [--rules-only]

The held-out part is the papers whose id's CRC-32 is divisible by 4: rules are changed from the
misses of the other part (`--split tune --misses`) and only scored on the held-out one.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain import Paper  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import default_taxonomy  # noqa: E402

DEFAULT_SET = ROOT / "tests" / "data" / "relevance" / "labelled.jsonl"


def held_out(paper_id: str) -> bool:
    """A fixed quarter of the set, by id, that rule changes are not tuned on."""
    return zlib.crc32(paper_id.encode()) % 4 == 0


def load(path: Path, split: str = "all") -> list[tuple[Paper, dict[str, str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if split != "all" and held_out(d["id"]) != (split == "held-out"):
                continue
            paper = Paper(
                title=d["title"],
                abstract=d["abstract"],
                arxiv_id=d.get("id"),
                categories=tuple(d.get("categories") or ()),
                ai_keywords=tuple(d.get("ai_keywords") or ()),
            )
            rows.append((paper, d["labels"]))
    return rows


def evaluate(
    rows: list[tuple[Paper, dict[str, str]]], show_misses: bool = False, matcher: Matcher | None = None
) -> float:
    """Print the table; return macro F1 over the labelled topics (the bundled topic models too, unless a matcher is given)."""
    taxonomy = default_taxonomy()
    matcher = matcher or Matcher(taxonomy)
    topics = sorted({t for _, labels in rows for t in labels})
    print(f"{'topic':<26}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}{'partial':>9}{'matched':>9}")
    ps, rs, f1s = [], [], []
    for topic in topics:
        query = parse_query(topic, taxonomy)
        tp = fp = fn = matched = 0
        misses: list[str] = []
        for paper, labels in rows:
            label = labels.get(topic, "not")
            hit = matcher.match(query, paper) is not None
            matched += hit
            if hit and label != "not":
                tp += 1
            elif hit:
                fp += 1
                misses.append(f"  FP {paper.title[:90]}")
            elif label == "relevant":
                fn += 1
                misses.append(f"  FN {paper.title[:90]}")
        support = sum(labels.get(topic) == "relevant" for _, labels in rows)
        partial = sum(labels.get(topic) == "partial" for _, labels in rows)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = (support - fn) / support if support else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        ps.append(precision)
        rs.append(recall)
        f1s.append(f1)
        print(f"{topic:<26}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{support:>9}{partial:>9}{matched:>9}")
        if show_misses:
            print("\n".join(misses))
    macro = sum(f1s) / len(f1s)
    mp, mr = sum(ps) / len(ps), sum(rs) / len(rs)
    print(f"{'macro':<26}{mp:>7.3f}{mr:>7.3f}{macro:>7.3f}   ({len(rows)} papers, {len(topics)} topics)")
    return macro


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="labelled JSONL file")
    parser.add_argument("--misses", action="store_true", help="list false positives and negatives")
    parser.add_argument("--split", choices=("all", "tune", "held-out"), default="all", help="which papers to score")
    parser.add_argument(
        "--rules-only", action="store_true", help="without the topic models (bot/relevance/topic_model.py)"
    )
    args = parser.parse_args()
    matcher = Matcher(default_taxonomy(), topic_model=None) if args.rules_only else None
    evaluate(load(args.set, args.split), args.misses, matcher)


if __name__ == "__main__":
    main()

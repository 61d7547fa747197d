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
from collections.abc import Iterable, Mapping
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


Score = tuple[float, float, float]  # precision, recall, F1


def prf(hits: Iterable[tuple[bool, str]]) -> Score:
    """P, R and F1 of (matched, label) pairs, by the rule above: a partial label is neither required nor penalised."""
    tp = fp = fn = support = 0
    for hit, label in hits:
        tp += hit and label != "not"
        fp += hit and label == "not"
        fn += not hit and label == "relevant"
        support += label == "relevant"
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = (support - fn) / support if support else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def macro(per_topic: Mapping[str, Score]) -> Score:
    """The mean of each of P, R and F1 over the topics."""
    n = len(per_topic)
    p, r, f1 = (sum(v[i] for v in per_topic.values()) / n for i in range(3))
    return p, r, f1


def hits(rows: list[tuple[Paper, dict[str, str]]], topic: str, matcher: Matcher) -> list[tuple[bool, str]]:
    """Each labelled paper: whether the matcher matches it to the topic, and its label for the topic."""
    query = parse_query(topic, matcher.taxonomy)
    return [(matcher.match(query, paper) is not None, labels.get(topic, "not")) for paper, labels in rows]


def topic_scores(rows: list[tuple[Paper, dict[str, str]]], matcher: Matcher) -> dict[str, Score]:
    """P, R and F1 of each labelled topic."""
    return {topic: prf(hits(rows, topic, matcher)) for topic in sorted({t for _, labels in rows for t in labels})}


def evaluate(
    rows: list[tuple[Paper, dict[str, str]]], show_misses: bool = False, matcher: Matcher | None = None
) -> float:
    """Print the table; return macro F1 over the labelled topics (the bundled topic models too, unless a matcher is given)."""
    matcher = matcher or Matcher(default_taxonomy())
    topics = sorted({t for _, labels in rows for t in labels})
    print(f"{'topic':<26}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}{'partial':>9}{'matched':>9}")
    scored = {}
    for topic in topics:
        found = hits(rows, topic, matcher)
        precision, recall, f1 = scored[topic] = prf(found)
        labels = [label for _, label in found]
        counts = f"{labels.count('relevant'):>9}{labels.count('partial'):>9}{sum(hit for hit, _ in found):>9}"
        print(f"{topic:<26}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{counts}")
        if show_misses:
            for (paper, _), (hit, label) in zip(rows, found, strict=True):
                if hit != (label != "not") and (hit or label == "relevant"):
                    print(f"  {'FP' if hit else 'FN'} {paper.title[:90]}")
    mp, mr, mf = macro(scored)
    print(f"{'macro':<26}{mp:>7.3f}{mr:>7.3f}{mf:>7.3f}   ({len(rows)} papers, {len(topics)} topics)")
    return mf


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

"""Topics by meaning (issue 26 item 3): does a meaning signal add papers the rules miss without losing precision?

Scored as bench/relevance.py scores (same labelled set, same tune / held-out split, macro P, R, F1 over the
11 topics). A variant only ever ADDS papers to what the rules match: a paper is matched when the rules
match it, or when the variant's meaning condition holds. Every threshold below was chosen on the tune part
(or is a round value); the held-out part is printed for the record, never to choose by.

The signals, over the 20k arXiv corpus plus the labelled papers (`../shared/data`, found beside the repo):
- BM25: the topic's name, aliases and description (its subtopics' too) as one query through the real
  lexical layer (`bot/retrieval/lexical.py`, Snowball stems); a paper's rank and score for it;
- evidence: the rules' own points for the topic (`Matcher.topic_evidence`), below the match floor;
- alias stems: a several-word alias's Snowball stems side by side in the title ("policy optimizing" for
  "policy optimization"), or every content word of it in the title in any order ("optimizing the policy");
- logistic regression on (evidence, rule match, no evidence, BM25 score / the median score of the papers
  the rules match in the corpus, BM25 score as the `uniform` query gives it, log rank share), fitted
  with 5-fold cross-validation grouped by paper on the tune part (scored out of fold there), then fitted
  on the whole tune part and scored on the held-out part;
- `--wordllama` (needs `pip install wordllama`, minutes): cosine of a static embedding of the topic's
  text and of the paper's title and abstract, against the corpus' k-th best.

    .venv/bin/python bench/topics_meaning.py [--wordllama] [--per-topic]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.matching import load as load_corpus  # noqa: E402
from bench.relevance import DEFAULT_SET, Score, held_out, load, macro, prf  # noqa: E402
from bot.domain import Paper  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import Taxonomy, Topic, default_taxonomy  # noqa: E402
from bot.retrieval.lexical import LexicalIndex  # noqa: E402
from bot.retrieval.question import STOP_WORDS  # noqa: E402


@dataclass
class Pair:
    """One labelled paper against one topic: its label and every signal."""

    paper: str
    label: str
    held: bool
    rule: bool
    evidence: float
    rank: int
    score: float
    uniform: float
    alias_in_title: bool
    alias_word_in_title: bool
    alias_run_in_title: bool
    cosine: float = 0.0


@dataclass
class TopicData:
    pairs: list[Pair]
    median_score: float  # of the corpus papers the rules match
    median_uniform: float
    ruled: int  # corpus papers the rules match: how many papers the topic has
    cosine_top: dict[int, float] = field(default_factory=dict)  # the corpus' k-th best cosine


Condition = Callable[[str, TopicData, Pair], bool]


def topic_text(taxonomy: Taxonomy, slug: str) -> list[str]:
    subtree: list[Topic] = taxonomy.subtree(slug)
    return [t.name for t in subtree] + [a for t in subtree for a in t.aliases] + [t.description for t in subtree]


def query_stems(index: LexicalIndex, texts: list[str]) -> dict[str, float]:
    """The topic's content stems, each weighted by how often its phrases use it."""
    weights: dict[str, float] = {}
    for stem in index.stems("\n".join(texts)):
        if len(stem) > 2 and stem not in STOP_WORDS and not stem.isdigit():
            weights[stem] = weights.get(stem, 0.0) + 1.0
    return weights


def alias_stems(index: LexicalIndex, taxonomy: Taxonomy, slug: str) -> list[frozenset[str]]:
    """Each alias of two words or more as the set of its content stems."""
    found = []
    for topic in taxonomy.subtree(slug):
        for alias in topic.aliases:
            stems = frozenset(s for s in index.stems(alias) if s not in STOP_WORDS)
            if len(stems) >= 2:
                found.append(stems)
    return found


def alias_runs(index: LexicalIndex, taxonomy: Taxonomy, slug: str) -> list[str]:
    """Each alias of two words or more as its Snowball stems side by side ("optim polici" is "policy optimization"
    reversed, not found; "policy optimizing" is)."""
    return [joined(stems) for t in taxonomy.subtree(slug) for a in t.aliases if len(stems := index.stems(a)) >= 2]


def joined(stems: list[str]) -> str:
    return " " + " ".join(stems) + " "


def gather(wordllama: bool) -> dict[str, TopicData]:
    started = time.perf_counter()
    taxonomy, matcher = (
        default_taxonomy(),
        Matcher(default_taxonomy(), topic_model=None),
    )  # the rules alone: what the variants add to
    rows = load(DEFAULT_SET)
    labelled = {p.arxiv_id for p, _ in rows}
    papers = [p for p in load_corpus() if p.arxiv_id not in labelled] + [p for p, _ in rows]
    index = LexicalIndex.in_memory()
    index.update(lambda after: [(n, p.title, p.abstract, "", " ".join(p.ai_keywords)) for n, p in numbered(papers)])
    number = {p.arxiv_id: n for n, p in numbered(papers)}
    print(f"{len(papers)} papers indexed in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    data = {}
    for slug in sorted({t for _, labels in rows for t in labels}):
        query, weights = parse_query(slug, taxonomy), query_stems(index, topic_text(taxonomy, slug))
        ranked = index.search_stems(weights, len(papers))
        flat = dict(index.search_stems(dict.fromkeys(weights, 1.0), len(papers)))
        rank, score = {i: r for r, (i, _) in enumerate(ranked)}, dict(ranked)
        ruled = [number[p.arxiv_id] for p in papers if matcher.match(query, p) is not None]
        aliases = alias_stems(index, taxonomy, slug)
        words = frozenset().union(*aliases)
        runs = alias_runs(index, taxonomy, slug)
        pairs = []
        for paper, labels in rows:
            n, title = number[paper.arxiv_id], set(index.stems(paper.title))
            pairs.append(
                Pair(
                    paper=str(paper.arxiv_id),
                    label=labels.get(slug, "not"),
                    held=held_out(str(paper.arxiv_id)),
                    rule=matcher.match(query, paper) is not None,
                    evidence=matcher.topic_evidence(slug, paper)[0],
                    rank=rank.get(n, len(papers)),
                    score=score.get(n, 0.0),
                    uniform=flat.get(n, 0.0),
                    alias_in_title=any(a <= title for a in aliases),
                    alias_word_in_title=bool(title & words),
                    alias_run_in_title=any(run in joined(index.stems(paper.title)) for run in runs),
                )
            )
        data[slug] = TopicData(
            pairs, median(score.get(i, 0.0) for i in ruled), median(flat.get(i, 0.0) for i in ruled), len(ruled)
        )
        print(f"{slug}: {len(weights)} stems, rules match {len(ruled)} corpus papers", file=sys.stderr)
    if wordllama:
        add_cosines(data, taxonomy, papers, [p for p, _ in rows])
    return data


def numbered(papers: list[Paper]) -> list[tuple[int, Paper]]:
    return list(enumerate(papers, start=1))


def median(values: object) -> float:
    ordered = sorted(values)  # type: ignore[call-overload]
    return float(ordered[len(ordered) // 2]) if ordered else 1.0


def add_cosines(data: dict[str, TopicData], taxonomy: Taxonomy, corpus: list[Paper], labelled: list[Paper]) -> None:
    import wordllama  # not a dependency: pip install wordllama

    model = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, trunc_dim=256)
    corpus_vectors = model.embed([f"{p.title}. {p.abstract}" for p in corpus], norm=True, batch_size=256)
    vectors = model.embed([f"{p.title}. {p.abstract}" for p in labelled], norm=True)
    by_id = {str(p.arxiv_id): vector for p, vector in zip(labelled, vectors, strict=True)}
    for slug, topic in data.items():
        vector = model.embed([". ".join(t for t in topic_text(taxonomy, slug) if t)], norm=True)[0]
        best = sorted((corpus_vectors @ vector).tolist(), reverse=True)
        topic.cosine_top = {k: best[k] for k in (50, 100, 200, 400)}
        for pair in topic.pairs:
            pair.cosine = float(by_id[pair.paper] @ vector)


def scores(
    data: dict[str, TopicData], held: bool, condition: Condition
) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """Per topic and macro (P, R, F1) of "the rules, or the condition" on one part."""
    per_topic: dict[str, Score] = {
        slug: prf((pair.rule or condition(slug, topic, pair), pair.label) for pair in topic.pairs if pair.held == held)
        for slug, topic in data.items()
    }
    return dict(per_topic), macro(per_topic)


def features(topic: TopicData, pair: Pair, n_papers: int, cosine: bool) -> list[float]:
    row = [
        min(pair.evidence, 4.0),
        float(pair.rule),
        float(pair.evidence == 0),
        min(pair.score / (topic.median_score or 1.0), 3.0),
        min(pair.uniform / (topic.median_uniform or 1.0), 3.0),
        math.log((pair.rank + 1) / n_papers),
    ]
    return row + ([pair.cosine, pair.cosine - topic.cosine_top[200]] if cosine else [])


def calibrated(data: dict[str, TopicData], threshold: float, cosine: bool) -> Condition:
    """Logistic regression: out of fold on the tune part, fitted on the whole tune part for the held-out part."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    n_papers = max(p.rank for t in data.values() for p in t.pairs) + 1
    keys = [(slug, p) for slug, t in data.items() for p in t.pairs]
    x = np.array([features(data[slug], p, n_papers, cosine) for slug, p in keys])
    y = np.array([p.label != "not" for _, p in keys])
    tune = np.array([not p.held for _, p in keys])
    groups = np.array([p.paper for _, p in keys])
    probability = np.zeros(len(keys))
    tune_rows = np.flatnonzero(tune)
    for fit, score in GroupKFold(5).split(x[tune_rows], y[tune_rows], groups[tune_rows]):
        model = LogisticRegression(C=1.0, max_iter=2000).fit(x[tune_rows[fit]], y[tune_rows[fit]])
        probability[tune_rows[score]] = model.predict_proba(x[tune_rows[score]])[:, 1]
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x[tune_rows], y[tune_rows])
    held_rows = np.flatnonzero(~tune)
    probability[held_rows] = model.predict_proba(x[held_rows])[:, 1]
    chance = {(slug, p.paper): float(probability[i]) for i, (slug, p) in enumerate(keys)}
    return lambda slug, topic, pair: chance[(slug, pair.paper)] >= threshold


def variants(data: dict[str, TopicData], wordllama: bool) -> list[tuple[str, Condition]]:
    found: list[tuple[str, Condition]] = [("the rules alone (today)", lambda s, t, p: False)]
    for k in (100, 200, 400):
        for gate in (0.0, 0.6):
            found.append((f"(a) BM25 rank < {k}, evidence >= {gate}", bm25_rank(k, gate)))
    for share, gate in ((0.25, 0.0), (0.5, 0.6), (1.0, 0.9)):
        found.append(
            (f"(a) BM25 rank < {share} x the topic's rule matches, evidence >= {gate}", bm25_share(share, gate))
        )
    for share, gate in ((1.0, 0.6), (1.0, 0.9), (1.5, 0.0)):
        found.append((f"(a) BM25 score >= {share} x rules' median, evidence >= {gate}", bm25_score(share, gate)))
    found.append(
        ("(a) BM25 rank < 200 and an alias word in the title", lambda s, t, p: p.rank < 200 and p.alias_word_in_title)
    )
    found.append(("(c) an alias's Snowball stems side by side in the title", lambda s, t, p: p.alias_run_in_title))
    for gate in (0.0, 0.6):
        found.append((f"(c) alias stems in the title, any order, evidence >= {gate}", alias_title(gate)))
    for threshold in (0.5, 0.6, 0.7):
        found.append((f"(b) logistic regression, p >= {threshold}", calibrated(data, threshold, False)))
    if wordllama:
        for k in (50, 200):
            found.append((f"wordllama cosine in the corpus' top {k}, evidence >= 0.6", cosine_top(k, 0.6)))
        found.append(("(b) logistic regression with wordllama, p >= 0.6", calibrated(data, 0.6, True)))
    return found


def bm25_rank(k: int, gate: float) -> Condition:
    return lambda slug, topic, pair: pair.rank < k and pair.evidence >= gate


def bm25_share(share: float, gate: float) -> Condition:
    return lambda slug, topic, pair: pair.rank < share * topic.ruled and pair.evidence >= gate


def bm25_score(share: float, gate: float) -> Condition:
    return lambda slug, topic, pair: pair.score >= share * topic.median_score and pair.evidence >= gate


def alias_title(gate: float) -> Condition:
    return lambda slug, topic, pair: pair.alias_in_title and pair.evidence >= gate


def cosine_top(k: int, gate: float) -> Condition:
    return lambda slug, topic, pair: pair.cosine >= topic.cosine_top[k] and pair.evidence >= gate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordllama", action="store_true", help="add the static-embedding variants (minutes)")
    parser.add_argument("--per-topic", action="store_true", help="recall per topic, tune part, for each variant")
    args = parser.parse_args()
    data = gather(args.wordllama)
    print("| variant | tune P | tune R | tune F1 | held-out P | held-out R | held-out F1 |")
    print("|---|---|---|---|---|---|---|")
    recalls = {}
    for name, condition in variants(data, args.wordllama):
        per_topic, tune = scores(data, False, condition)
        _, held = scores(data, True, condition)
        recalls[name] = per_topic
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in (*tune, *held)) + " |")
    if args.per_topic:
        slugs = sorted(data)
        print("\n| variant (tune part: P / R per topic) | " + " | ".join(slugs) + " |")
        print("|---" * (len(slugs) + 1) + "|")
        for name, per_topic in recalls.items():
            print(f"| {name} | " + " | ".join(f"{per_topic[s][0]:.2f}/{per_topic[s][1]:.2f}" for s in slugs) + " |")


if __name__ == "__main__":
    main()

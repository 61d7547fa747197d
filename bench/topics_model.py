"""Train the topic models (issue 26 item 3) from a corpus the rules label, and score them on the labelled set.

Each labelled topic gets a logistic regression over `bot/relevance/topic_model.features` (tf-idf, sublinear,
words seen in 3 papers or more), trained on the 20k arXiv corpus with the topic's rule matches as positives
(the labelled papers left out of it). Then the labelled set is scored as `bench/relevance.py` scores it, with the
rules alone and with the rules plus the models (a paper the rules miss but a model reads at the threshold or
above is matched), on the whole set, the tune part and the held-out part, and per topic.

    nice .venv/bin/python bench/topics_model.py            # train, write bot/data/topic_model.npz, print the tables
    nice .venv/bin/python bench/topics_model.py --no-write --C 2 --threshold 0.3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.matching import CORPUS  # noqa: E402
from bench.matching import load as load_corpus  # noqa: E402
from bench.relevance import DEFAULT_SET, held_out, load  # noqa: E402
from bot.domain import Paper  # noqa: E402
from bot.relevance import topic_model  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.paper_text import PaperText  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import default_taxonomy  # noqa: E402

Rows = list[tuple[Paper, dict[str, str]]]


def features(paper: Paper) -> list[str]:
    return topic_model.features(PaperText(paper).keys, paper.categories)


def train(corpus: list[Paper], slugs: list[str], c: float, threshold: float) -> topic_model.TopicModel:
    """One model per topic over one vocabulary, each fitted to the topic's rule matches in the corpus."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    taxonomy = default_taxonomy()
    rules = Matcher(taxonomy, topic_model=None)
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer=lambda feats: feats, sublinear_tf=True, min_df=3, dtype=np.float64)
    x = vectorizer.fit_transform([features(p) for p in corpus])
    weights, intercepts = [], []
    for slug in slugs:
        query = parse_query(slug, taxonomy)
        y = np.array([rules.match(query, p) is not None for p in corpus])
        model = LogisticRegression(C=c, solver="liblinear", random_state=0).fit(x, y)
        weights.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
        print(f"  {slug:<26}{int(y.sum()):>6} of {len(y)} corpus papers matched by its rules", flush=True)
    print(
        f"trained {len(slugs)} topics on {x.shape[0]} papers x {x.shape[1]} features in {time.perf_counter() - started:.0f} s"
    )
    return topic_model.TopicModel(
        slugs=tuple(slugs),
        vocabulary={word: int(i) for word, i in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_,
        weights=np.stack(weights, axis=1),
        intercepts=np.array(intercepts),
        threshold=threshold,
        revision="trained",
    )


def scores(rows: Rows, slugs: list[str], matcher: Matcher, part: str) -> dict[str, tuple[float, float, float]]:
    """P, R, F1 per topic on one part of the set, as bench/relevance.py counts them."""
    taxonomy = default_taxonomy()
    found = {}
    for slug in slugs:
        query = parse_query(slug, taxonomy)
        tp = fp = fn = support = 0
        for paper, labels in rows:
            if part != "all" and held_out(paper.arxiv_id or "") != (part == "held-out"):
                continue
            label, hit = labels.get(slug, "not"), matcher.match(query, paper) is not None
            support += label == "relevant"
            tp += hit and label != "not"
            fp += hit and label == "not"
            fn += not hit and label == "relevant"
        p = tp / (tp + fp) if tp + fp else 1.0
        r = (support - fn) / support if support else 1.0
        found[slug] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return found


def macro(per_topic: dict[str, tuple[float, float, float]]) -> tuple[float, float, float]:
    n = len(per_topic)
    return tuple(sum(v[i] for v in per_topic.values()) / n for i in range(3))  # type: ignore[return-value]


def report(rows: Rows, slugs: list[str], model: topic_model.TopicModel) -> None:
    taxonomy = default_taxonomy()
    matchers = {
        "the rules alone": Matcher(taxonomy, topic_model=None),
        "rules + topic models": Matcher(taxonomy, topic_model=model),
    }
    print("\n| matcher | whole set P / R / F1 | tune part P / R / F1 | held-out part P / R / F1 |\n|---|---|---|---|")
    tables = {}
    for name, matcher in matchers.items():
        parts = {part: scores(rows, slugs, matcher, part) for part in ("all", "tune", "held-out")}
        tables[name] = parts["all"]
        cells = [" / ".join(f"{v:.3f}" for v in macro(parts[part])) for part in ("all", "tune", "held-out")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n| topic (whole set) | rules P / R / F1 | with models P / R / F1 |\n|---|---|---|")
    for slug in slugs:
        cells = [" / ".join(f"{v:.3f}" for v in table[slug]) for table in tables.values()]
        print(f"| {slug} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="arXiv JSONL the rules label (default: ../shared/data/arxiv/…)"
    )
    parser.add_argument("--C", type=float, default=4.0, help="inverse regularisation of each topic's regression")
    parser.add_argument("--threshold", type=float, default=topic_model.THRESHOLD)
    parser.add_argument("--no-write", action="store_true", help=f"do not write {topic_model.MODEL_FILE.name}")
    args = parser.parse_args()
    rows = load(DEFAULT_SET)
    labelled = {paper.arxiv_id for paper, _ in rows}
    corpus = [p for p in load_corpus(args.corpus) if p.arxiv_id not in labelled]
    slugs = sorted({slug for _, labels in rows for slug in labels})
    model = train(corpus, slugs, args.C, args.threshold)
    if not args.no_write:
        model.save(topic_model.MODEL_FILE)
        model = topic_model.load(topic_model.MODEL_FILE)
        print(
            f"wrote {topic_model.MODEL_FILE.relative_to(ROOT)} ({topic_model.MODEL_FILE.stat().st_size / 1e6:.1f} MB)"
        )
    report(rows, slugs, model)


if __name__ == "__main__":
    main()

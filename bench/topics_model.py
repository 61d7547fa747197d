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
from bench.relevance import DEFAULT_SET, Score, load, macro, topic_scores  # noqa: E402
from bot.domain import Paper  # noqa: E402
from bot.relevance import topic_model  # noqa: E402
from bot.relevance.matching import Matcher  # noqa: E402
from bot.relevance.paper_text import PaperText  # noqa: E402
from bot.relevance.query import parse_query  # noqa: E402
from bot.relevance.topics import default_taxonomy  # noqa: E402


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


def report(model: topic_model.TopicModel) -> None:
    """The labelled set's macro P / R / F1 on each part, and each topic's on the whole set, without and with the models."""
    taxonomy = default_taxonomy()
    matchers = {
        "the rules alone": Matcher(taxonomy, topic_model=None),
        "rules + topic models": Matcher(taxonomy, topic_model=model),
    }
    parts = {part: load(DEFAULT_SET, part) for part in ("all", "tune", "held-out")}
    print("\n| matcher | whole set P / R / F1 | tune part P / R / F1 | held-out part P / R / F1 |\n|---|---|---|---|")
    tables = {}
    for name, matcher in matchers.items():
        scored = {part: topic_scores(rows, matcher) for part, rows in parts.items()}
        tables[name] = scored["all"]
        print(f"| {name} | " + " | ".join(cell(macro(table)) for table in scored.values()) + " |")
    print("\n| topic (whole set) | rules P / R / F1 | with models P / R / F1 |\n|---|---|---|")
    for slug in model.slugs:
        print(f"| {slug} | " + " | ".join(cell(table[slug]) for table in tables.values()) + " |")


def cell(score: Score) -> str:
    return " / ".join(f"{v:.3f}" for v in score)


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
    report(model)


if __name__ == "__main__":
    main()

"""Topics by meaning: a model per topic that reads a paper's words, for papers no rule of the topic fires on.

Each topic's model is a logistic regression over tf-idf of the paper's stemmed words and word pairs (the
title counted twice) and its arXiv categories, trained on a corpus labelled by the topic's own rules
(`bench/topics_model.py`: 19,815 arXiv cs papers). It learns the company a topic's phrases keep ("denoising",
"score matching", "sampling steps" for diffusion models), so it recognises a paper that never says the
topic's name. Its probability only ever adds a match the rules missed; it never removes one. The file ships
in the package (`bot/data/topic_model.npz`: vocabulary, idf, one column of weights per topic).
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.retrieval.question import STOP_WORDS

if TYPE_CHECKING:
    import numpy as np

MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "topic_model.npz"
# Chosen on the tune part of the labelled set (bench/topics_model.py): 0.3-0.5 give the same macro F1 there.
THRESHOLD = 0.4
_FIELDS = (("title", 2), ("keywords", 1), ("abstract", 1))  # a title says more than a sentence of the abstract
# A model reads abstracts: on a title and a sentence one word decides ("rl" in "curves of rl and url" reads as
# reinforcement learning), so a paper with fewer content words in its abstract than this is left to the rules.
MIN_WORDS = 40


def features(keys: dict[str, str], categories: Iterable[str]) -> list[str]:
    """What a topic model reads of a paper: its fields' stems as matching keeps them (`PaperText.keys`), each
    content word and each two side by side within a field part, and `cat:` each arXiv category."""
    found: list[str] = []
    for name, weight in _FIELDS:
        field = keys[name].split()
        words = [w for w in field if len(w) > 1 and _content(w)]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(field) if _content(a) and _content(b)]
        found.extend((words + pairs) * weight)
    found.extend(f"cat:{category}" for category in categories)
    return found


def _content(word: str) -> bool:
    return word != "|" and word not in STOP_WORDS


@dataclass(frozen=True)
class TopicModel:
    """The models of some topics over one vocabulary: `read` gives each topic's probability for a paper."""

    slugs: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # one per feature, as scikit-learn's TfidfVectorizer computed it
    weights: np.ndarray  # features x topics
    intercepts: np.ndarray  # one per topic
    threshold: float
    revision: str  # changes with the file: stored evidence of another revision is read again

    def probabilities(self, feats: Sequence[str]) -> dict[str, float]:
        """Each topic's probability for a paper with these features (TfidfVectorizer's sublinear, l2-normed tf-idf)."""
        import numpy as np

        counts = Counter(i for f in feats if (i := self.vocabulary.get(f)) is not None)
        if not counts:
            return dict.fromkeys(self.slugs, 0.0)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
        values /= math.sqrt(float(values @ values))
        logits = values @ self.weights[columns] + self.intercepts
        return {slug: 1.0 / (1.0 + math.exp(-float(z))) for slug, z in zip(self.slugs, logits, strict=True)}

    def read(self, keys: dict[str, str], categories: Iterable[str]) -> dict[str, float]:
        """The topics this paper reads like, at or above the threshold, with their probabilities."""
        if sum(map(_content, keys["abstract"].split())) < MIN_WORDS:
            return {}
        found = self.probabilities(features(keys, categories))
        return {slug: p for slug, p in found.items() if p >= self.threshold}

    def save(self, path: Path) -> None:
        import numpy as np

        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            slugs=np.array(self.slugs),
            vocabulary=np.frombuffer("\n".join(words).encode(), dtype=np.uint8),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32),
            intercepts=self.intercepts.astype(np.float64),
            threshold=np.array(self.threshold),
        )


def _checksum(raw: bytes) -> str:
    """What evidence read with a model file is stamped with (computed without numpy: a light command needs it)."""
    return f"{zlib.crc32(raw):08x}"


def load(path: Path) -> TopicModel:
    import numpy as np

    raw = path.read_bytes()  # read once: for the arrays and for the checksum
    with np.load(io.BytesIO(raw), allow_pickle=False) as stored:
        words = stored["vocabulary"].tobytes().decode().split("\n")
        return TopicModel(
            slugs=tuple(str(s) for s in stored["slugs"]),
            vocabulary={word: i for i, word in enumerate(words)},
            idf=stored["idf"],
            weights=stored["weights"],  # float32: a topic's probability moves by less than 1e-6
            intercepts=stored["intercepts"],
            threshold=float(stored["threshold"]),
            revision=_checksum(raw),
        )


_bundled: TopicModel | None = None
_lock = threading.Lock()


def bundled() -> TopicModel | None:
    """The model shipped with the package, loaded once per process (None if the file is missing)."""
    global _bundled
    with _lock:
        if _bundled is None and MODEL_FILE.exists():
            _bundled = load(MODEL_FILE)
        return _bundled


@functools.cache
def bundled_revision() -> str | None:
    """The bundled model's revision without loading it, read once per process (None if the file is missing)."""
    return _checksum(MODEL_FILE.read_bytes()) if MODEL_FILE.exists() else None


__all__ = ["MODEL_FILE", "THRESHOLD", "TopicModel", "bundled", "bundled_revision", "features", "load"]

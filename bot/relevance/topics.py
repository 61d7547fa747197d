"""The topic taxonomy: loading `bot/data/topics.toml`, browsing it, and reading topic phrases."""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.errors import UnknownTopic

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).parents[1] / "data" / "topics.toml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LIST_KEYS = ("aliases", "acronyms", "categories", "exclude", "supporting")


@dataclass(frozen=True)
class Topic:
    """One subject a channel can follow, with the words that show a paper is about it."""

    slug: str
    name: str
    aliases: tuple[str, ...]
    acronyms: tuple[str, ...]  # matched case-sensitively: "RL" is not "rl"
    categories: tuple[str, ...]
    exclude: tuple[str, ...]  # phrases that are another sense of the words, never the topic
    parent: str | None
    description: str = ""
    supporting: tuple[str, ...] = ()  # hints that count only together with other evidence


# ---------------------------------------------------------------- reading phrases
# Topic phrases and paper text go through the same steps, so that "Q-learning", "Q learning"
# and "q-Learning" meet, and "rewards"/"reward", "exploring"/"explore" do too.

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents: the spelling-insensitive form of a text."""
    if text.isascii():  # NFKD leaves ASCII as it is; most abstracts are, and normalising costs
        return text.lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def stem(word: str) -> str:
    """A deliberately small stemmer: plurals, -ing, -ed and a final -e (researchers' plurals, not Porter)."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # planning -> plann -> plan
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


class _Stems(dict):
    """Each spelling stemmed once: a corpus repeats its words, and a plain dict hit costs least."""

    LIMIT = 500_000  # distinct spellings; a long run over odd text must not grow without bound

    def __missing__(self, word: str) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        found = self[word] = stem(word)
        return found


_stems = _Stems()


def words(text: str) -> list[str]:
    """The stemmed words of a text, hyphens and punctuation read as spaces."""
    return list(map(_stems.__getitem__, _WORD.findall(fold(text))))


def stem_all(folded: list[str]) -> list[str]:
    """`stem` of each of these already folded words, as `words` stems them."""
    return list(map(_stems.__getitem__, folded))


def phrase_keys(phrase: str) -> set[str]:
    """The spellings of a phrase as ` w1 w2 ` strings: hyphenated words also joined (pre-training, pretraining)."""
    keys = {" " + " ".join(words(phrase)) + " "}
    if "-" in phrase:
        keys.add(" " + " ".join(words(phrase.replace("-", ""))) + " ")
    return {k for k in keys if k.strip()}


def _run(text: str) -> str:
    """The stemmed words of a text as ` w1 w2 `: one run inside another is a match of whole words."""
    return " " + " ".join(words(text)) + " "


# ---------------------------------------------------------------- the taxonomy


def _topic(slug: str, table: dict) -> Topic:
    if not SLUG.match(slug):
        raise ValueError(f"topic slug {slug!r} must be lower-case words joined by hyphens")
    if "name" not in table:
        raise ValueError(f"topic {slug!r} has no name")
    values = {key: tuple(str(v) for v in table.get(key, ())) for key in _LIST_KEYS}
    return Topic(
        slug=slug,
        name=str(table["name"]),
        parent=table.get("parent") or None,
        description=str(table.get("description", "")),
        **values,
    )


class Taxonomy:
    """All topics by slug, with their hierarchy; immutable once loaded."""

    def __init__(self, topics: dict[str, Topic]) -> None:
        self._topics = dict(sorted(topics.items()))
        self._children: dict[str, list[str]] = {slug: [] for slug in self._topics}
        for topic in self._topics.values():
            if topic.parent is not None:
                if topic.parent not in self._topics:
                    raise ValueError(f"topic {topic.slug!r} has unknown parent {topic.parent!r}")
                self._children[topic.parent].append(topic.slug)
        for slug in self._topics:
            self.ancestors(slug)  # raises on a cycle

    @classmethod
    def load(cls, extra: Path | None = None) -> Taxonomy:
        """The bundled taxonomy, with a deployment's own file merged over it (its keys win, per topic)."""
        tables = tomllib.loads(BUNDLED.read_text(encoding="utf-8"))
        if extra is not None:
            for slug, table in tomllib.loads(Path(extra).read_text(encoding="utf-8")).items():
                tables[slug] = {**tables.get(slug, {}), **table}
            log.info("merged %s over the bundled taxonomy", extra)
        return cls({slug: _topic(slug, table) for slug, table in tables.items()})

    def __len__(self) -> int:
        return len(self._topics)

    @property
    def fingerprint(self) -> str:
        """Changes whenever any topic does: stored evidence from another fingerprint is stale."""
        return hashlib.sha1(repr(sorted(self._topics.items())).encode()).hexdigest()[:16]

    def __iter__(self):
        return iter(self._topics.values())

    def __contains__(self, slug: object) -> bool:
        return slug in self._topics

    def get(self, slug: str) -> Topic | None:
        return self._topics.get(slug)

    def require(self, slug: str) -> Topic:
        """The topic with this slug, or UnknownTopic carrying the closest slugs."""
        topic = self._topics.get(slug)
        if topic is None:
            raise UnknownTopic(slug, self.suggest(slug))
        return topic

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Slugs a user probably meant: exact acronym or name first, then the closest spellings."""
        folded = fold(text).strip()
        exact = [t.slug for t in self if text.strip() in t.acronyms or folded == fold(t.name)]
        as_slug = "-".join(_WORD.findall(folded))
        choices = {t.slug: t.slug for t in self}
        fuzzy = process.extract(as_slug, choices, scorer=fuzz.WRatio, limit=limit + len(exact), score_cutoff=75)
        found = exact + [slug for _, score, slug in fuzzy if slug not in exact]
        return found[:limit]

    def browse(self, prefix: str = "") -> list[Topic]:
        """Topics whose slug starts with `prefix`, or whose name, an alias or an acronym holds it as whole
        words (`rl` is RL's, not world-models' or distributed-systems'); sorted by slug."""
        needle = fold(prefix).strip()
        if not needle:
            return list(self)
        run = _run(needle)
        return [
            t
            for t in self
            if t.slug.startswith(needle)
            or (run.strip() and any(run in _run(text) for text in (t.name, *t.aliases, *t.acronyms)))
        ]

    def children(self, slug: str) -> list[Topic]:
        return [self._topics[child] for child in self._children.get(slug, [])]

    def subtree(self, slug: str) -> list[Topic]:
        """The topic and all its descendants: what a subscription to it covers."""
        found, todo = [], [slug]
        while todo:
            current = todo.pop()
            found.append(self._topics[current])
            todo.extend(self._children[current])
        return found

    def tree(self, slug: str) -> list[tuple[Topic, int]]:
        """The topic and its descendants in reading order (each under its parent, siblings by slug), with depth."""
        found, todo = [], [(slug, 0)]
        while todo:
            current, depth = todo.pop()
            found.append((self._topics[current], depth))
            todo.extend((child, depth + 1) for child in sorted(self._children[current], reverse=True))
        return found

    def ancestors(self, slug: str) -> list[str]:
        seen: list[str] = []
        parent = self._topics[slug].parent
        while parent is not None:
            if parent in seen or parent == slug:
                raise ValueError(f"topic {slug!r} is its own ancestor")
            seen.append(parent)
            parent = self._topics[parent].parent
        return seen


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy, loaded once per process."""
    return Taxonomy.load()


__all__ = ["Taxonomy", "Topic", "default_taxonomy", "fold", "phrase_keys", "stem", "stem_all", "words"]

"""A topic's evidence on one paper: the rules in bot/relevance/matching.py's docstring, worked out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.relevance.paper_text import FIELDS, PaperText
from bot.relevance.topics import Topic, phrase_keys

STRONG = {"title": 2.0, "keywords": 1.5, "abstract": 0.6}
REPEAT, REPEAT_CAP = 0.3, 0.9  # further abstract mentions
SUPPORT = {"title": 0.45, "keywords": 0.35, "abstract": 0.25}
BROAD_CATEGORIES = frozenset(
    {
        "cs.LG",
        "cs.AI",
        "stat.ML",
        "cs.CL",
        "cs.CV",
        "cs.IR",
        "cs.NE",
        "cs.HC",
        "cs.CY",
        "cs.SI",
        "eess.IV",
        "eess.SP",
        "cs.MM",
        "cs.CE",
        "cs.DC",
        "math.OC",
        "cs.CR",
    }
)


def _anchor(key: str) -> str:
    """The word a phrase cannot match without: its longest, which is usually its rarest."""
    return max(key.split(), key=len)


@dataclass
class Evidence:
    points: float
    why: list[str]


class CompiledTopic:
    """A topic's phrases turned into lookups: keys by anchor word, acronyms, masks."""

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.strong: dict[str, list[tuple[str, str]]] = {}
        self.support: dict[str, list[tuple[str, str]]] = {}
        acronyms = []
        for phrase in (topic.name, *topic.aliases):
            self._add(self.strong, phrase)
        for acronym in topic.acronyms:
            if acronym.isalnum():
                acronyms.append(acronym)
            else:
                self._add(self.strong, acronym)
        for phrase in topic.supporting:
            self._add(self.support, phrase)
        self.acronyms = tuple(dict.fromkeys(acronyms))
        self.acronym_tokens = frozenset(a for x in self.acronyms for a in (x, x + "s"))
        self.exclude = tuple(sorted({k for p in topic.exclude for k in phrase_keys(p)}, key=_longest_first))
        self.initials = {k: "".join(w[0] for w in k.split()).upper() for k in self.exclude}
        self.ambiguous = frozenset(f'acronym "{a}"' for a in self.acronyms if a in self.initials.values())
        self.strong_anchors = frozenset(self.strong)
        self.anchors = self.strong_anchors | frozenset(self.support)
        self.exclude_by_anchor: dict[str, list[str]] = {}
        for key in self.exclude:
            self.exclude_by_anchor.setdefault(_anchor(key), []).append(key)
        self.exclude_anchors = frozenset(self.exclude_by_anchor)
        self.categories = frozenset(topic.categories)
        # each key is shown as the first phrase that brought it (a key has one anchor)
        self.strong_shown = {key: shown for entries in self.strong.values() for key, shown in entries}
        self.support_shown = {key: shown for entries in self.support.values() for key, shown in entries}
        self.strong_keys = frozenset(self.strong_shown)
        self.support_keys = frozenset(self.support_shown)
        self.exclude_keys = frozenset(self.exclude)

    @staticmethod
    def _add(table: dict[str, list[tuple[str, str]]], phrase: str) -> None:
        for key in phrase_keys(phrase):
            entries = table.setdefault(_anchor(key), [])
            if all(k != key for k, _ in entries):
                entries.append((key, phrase))

    def evidence(self, text: PaperText) -> Evidence:
        """The points and reasons of this topic on a paper.

        Works from the phrases TopicIndex found in the paper. Where the old walk over word sets
        could take two phrases in either order (equal lengths, two supporting phrases in one
        field) the order shows in the reasons, so those papers take that walk (`_walk`)."""
        acronym_hit = self.acronym_tokens & text.acronyms
        hit = self.anchors & text.anchor_words
        if not acronym_hit and (not hit or (hit.isdisjoint(self.strong_anchors) and len(hit) < 2)):
            return Evidence(0.0, [])  # nothing strong and at most one hint: cannot reach the threshold
        strong = self.strong_keys & text.present
        excludes = self.exclude_keys & text.present
        if not (_distinct_lengths(strong) and _distinct_lengths(excludes)):
            return self._walk(text)
        keys, muted = self._muted(text.keys, excludes)
        strong_order = sorted(strong, key=_longest_first)
        field_points, why = [], []
        for name in FIELDS:
            found = _mentions(keys[name], ((key, self.strong_shown[key]) for key in strong_order))
            if acronym_hit:
                self._acronym_hits(text, name, muted, found)
            if not found:
                continue
            field_points.append(_field_points(found, name, self.ambiguous))
            why.append(_field_reason(found, name))
        points = max(field_points, default=0.0) + 0.3 * max(len(field_points) - 1, 0)
        support = self.support_keys & text.present
        support_points, support_seen, support_where = 0.0, set[str](), dict[str, list[str]]()
        for name in FIELDS if support else ():
            field = keys[name]
            new = [key for key in support if key not in support_seen and key in field]
            if len(new) > 1:
                return self._walk(text)
            if new:
                support_seen.add(new[0])
                support_points += SUPPORT[name]
                support_where[name] = [f'"{self.support_shown[new[0]]}"']
        return self._finish(text, points, why, support_points, len(support_seen), support_where)

    def _muted(self, keys: dict[str, str], excludes: Iterable[str]) -> tuple[dict[str, str], set[str]]:
        """The fields with excluded senses blanked out, and the acronyms those senses spell."""
        muted: set[str] = set()
        order = sorted(excludes, key=_longest_first)
        if not order:
            return keys, muted
        keys = dict(keys)
        for name in FIELDS:
            for ex in order:
                if ex in keys[name]:
                    keys[name] = keys[name].replace(ex, " | ")
                    muted.add(self.initials[ex])
        return keys, muted

    def _finish(
        self,
        text: PaperText,
        points: float,
        why: list[str],
        support_points: float,
        supports: int,
        support_where: dict[str, list[str]],
    ) -> Evidence:
        """Hints count only beside a strong phrase, or two of them together; categories last."""
        if supports and (points or supports >= 2):
            points += support_points
            why.extend(f"with {', '.join(v[:4])} in {k}" for k, v in support_where.items())
        if points:
            points += self._category_points(text, why)
        return Evidence(points, why)

    def _walk(self, text: PaperText) -> Evidence:
        """The evidence as first written: phrases taken in the order of the word sets."""
        hit = self.anchors & text.all_words
        acronym_hit = self.acronym_tokens & text.acronyms
        if not acronym_hit and (not hit or (hit.isdisjoint(self.strong_anchors) and len(hit) < 2)):
            return Evidence(0.0, [])  # nothing strong and at most one hint: cannot reach the threshold
        excludes = [k for a in self.exclude_anchors & text.all_words for k in self.exclude_by_anchor[a]]
        keys, muted = self._muted(text.keys, excludes)
        # "attack success rate (ASR)" is excluded, so that paper's ASR is not speech recognition
        field_points, why = [], []
        for name in FIELDS:
            found = self._strong_hits(keys, text, hit, name, muted, acronym_hit)
            if not found:
                continue
            field_points.append(_field_points(found, name, self.ambiguous))
            why.append(_field_reason(found, name))
        # the best field decides; each further field that agrees adds a little
        points = max(field_points, default=0.0) + 0.3 * max(len(field_points) - 1, 0)
        support_points, support_seen = 0.0, set[str]()
        support_where: dict[str, list[str]] = {}
        for name in FIELDS:
            for anchor in sorted(hit & text.word_sets[name]):  # sorted: the same `why` in every process
                for key, shown in self.support.get(anchor, ()):
                    if key not in support_seen and key in keys[name]:
                        support_seen.add(key)
                        support_points += SUPPORT[name]
                        support_where.setdefault(name, []).append(f'"{shown}"')
        return self._finish(text, points, why, support_points, len(support_seen), support_where)

    def _strong_hits(
        self,
        keys: dict[str, str],
        text: PaperText,
        hit: frozenset[str],
        name: str,
        muted: set[str],
        acronym_hit: frozenset[str],
    ) -> list[tuple[str, int]]:
        """Strong phrases in one field, longest first, each occurrence counted once
        ("deep reinforcement learning" is one mention, not also one of "reinforcement learning")."""
        candidates = [e for anchor in hit & text.word_sets[name] for e in self.strong.get(anchor, ())]
        found = _mentions(keys[name], sorted(candidates, key=lambda e: (-len(e[0]), e[0])))
        if acronym_hit:
            self._acronym_hits(text, name, muted, found)
        return found

    def _acronym_hits(self, text: PaperText, name: str, muted: set[str], found: list[tuple[str, int]]) -> None:
        counts = text.raw[name]
        for acronym in self.acronyms:
            if acronym in muted or self._defined_otherwise(text, acronym):
                continue
            n = counts.get(acronym, 0) + counts.get(acronym + "s", 0)
            if n:
                found.append((f'acronym "{acronym}"', n))

    def _defined_otherwise(self, text: PaperText, acronym: str) -> bool:
        """The paper spells the acronym out with words that are none of this topic's phrases:
        "exploratory question answering (EQA)" is not embodied question answering."""
        spelled = text.defined.get(acronym)
        if spelled is None:
            return False
        keys = phrase_keys(spelled)
        return not any(k in strong or strong in k for k in keys for strong in self.strong_keys)

    def _category_points(self, text: PaperText, why: list[str]) -> float:
        best, shown = 0.0, ""
        for i, category in enumerate(text.categories):
            if category not in self.categories:
                continue
            value = 0.1 if category in BROAD_CATEGORIES else (0.6 if i == 0 else 0.4)
            if value > best:
                best, shown = value, category
        if best:
            why.append(f"category {shown}")
        return best


def _mentions(field: str, phrases: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
    """How often each phrase (longest first) occurs, each occurrence counted once: a longer
    phrase is blanked out before a shorter one inside it is counted."""
    found = []
    for key, shown in phrases:
        n = field.count(key)
        if n:
            found.append((f'"{shown}"', n))
            field = field.replace(key, " | ")
    return found


def _field_points(found: list[tuple[str, int]], name: str, ambiguous: frozenset[str] = frozenset()) -> float:
    """A field with strong phrases; repeated mentions in the abstract add a little, up to a cap.

    An acronym that also spells one of the topic's excluded senses, repeated with no phrase of the
    topic beside it, earns one mention: "76.1% ASR ... 81.8% ASR" in a jailbreak paper is an
    attack success rate, not speech recognition."""
    if all(shown in ambiguous for shown, _ in found):
        return STRONG[name]
    mentions = sum(n for _, n in found)
    return STRONG[name] + (min(REPEAT * (mentions - 1), REPEAT_CAP) if name == "abstract" else 0.0)


def _field_reason(found: list[tuple[str, int]], name: str) -> str:
    return f"{', '.join(s for s, _ in sorted(found, key=lambda f: (-f[1], f[0]))[:3])} in {name}"


def _longest_first(key: str) -> tuple[int, str]:
    """Longest phrase first; ties in a fixed order, so that every process gives the same `why`."""
    return (-len(key), key)


def _distinct_lengths(keys: frozenset[str]) -> bool:
    return len(keys) < 2 or len({len(k) for k in keys}) == len(keys)


__all__ = ["BROAD_CATEGORIES", "CompiledTopic", "Evidence"]

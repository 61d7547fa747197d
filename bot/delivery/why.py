"""Why a paper is in a post, in one short line per subscription: `rl: "offline RL" in title, reward in abstract`.

Matching gives the full evidence as reasons (`"sparse reward" in title`, `with "reward", "policy"
in abstract`, `category cs.LG`, ...); `papers-bot match --json` shows them all. A post shows one
line per subscription that found the paper, labelled with the subscription, each phrase once
(where it weighs most), supporting words unquoted, at most MAX_LINE characters.
"""

from __future__ import annotations

import re

MAX_LINE = 100
_FIELDS = ("title", "keywords", "abstract")
_REASON = re.compile(
    r"^(?:(?P<label>[\w-]+(?: \(under [\w-]+\))?): )?(?P<with>with )?(?P<items>.+) in (?P<field>title|keywords|abstract)$"
)
_QUOTED = re.compile(r'"([^"]*)"')
_PER_FIELD = 2  # phrases shown per field and kind; the rest are in the full evidence


def short_why(subscription: str, reasons: tuple[str, ...]) -> str:
    """One line for one subscription's reasons: labelled, de-duplicated, at most MAX_LINE characters."""
    strong: dict[str, list[str]] = {field: [] for field in _FIELDS}
    support: dict[str, list[str]] = {field: [] for field in _FIELDS}
    others: list[str] = []
    shown: set[str] = set()
    via = ""
    for reason in reasons:
        found = _REASON.match(reason)
        if found is None:
            others.append(_without_label(reason))  # category cs.RO, author Levine
            continue
        label = found["label"] or ""
        if " (under " in label:
            via = label.split(" (under ")[0]
        kind = support if found["with"] else strong
        for item in _QUOTED.findall(found["items"]):
            if not any(item.lower() in seen for seen in shown):  # "misalignment" after "emergent misalignment"
                shown.add(item.lower())
                kind[found["field"]].append(item)
    support = {
        f: [w for w in words if not any(w.lower() in x.lower() for x in _shown_in(strong))]
        for f, words in support.items()
    }
    head = _clip(subscription, 40) + (f" ({via})" if via and via != subscription else "")
    others = list(dict.fromkeys(o for o in others if o))
    only_others = not _shown_in(strong) and not _shown_in(support)  # `like:` and `author:` say it all there
    for strong_n, support_n, fields, with_others in _DETAIL:
        parts = _parts(strong, support, strong_n, support_n)[:fields] + (others if with_others or only_others else [])
        text = f"{head}: " + ", ".join(parts)
        if len(text) <= MAX_LINE:
            return text
    return _clip(text, MAX_LINE)


# From the most detail to the least: phrases and supporting words per field, fields, categories and authors.
_DETAIL = (
    (2, 2, 3, True),
    (2, 2, 3, False),
    (2, 1, 3, False),
    (1, 1, 3, False),
    (1, 0, 3, False),
    (1, 0, 2, False),
    (1, 0, 1, False),
)


def _shown_in(table: dict[str, list[str]]) -> list[str]:
    return [item for items in table.values() for item in items]


def _parts(strong: dict[str, list[str]], support: dict[str, list[str]], strong_n: int, support_n: int) -> list[str]:
    """`"offline RL" in title`, `"RL" and reward in abstract`: each field's phrases quoted, its supporting words not."""
    parts = []
    for field in _FIELDS:
        items = [f'"{p}"' for p in strong[field][:strong_n]] + support[field][:support_n]
        if items:
            listed = items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
            parts.append(f"{listed} in {field}")
    return parts


def _without_label(reason: str) -> str:
    """`author Levine` stays; a topic's label on a reason that is not about a field is dropped."""
    label, sep, rest = reason.partition(": ")
    return rest if sep and re.fullmatch(r"[\w-]+(?: \(under [\w-]+\))?|like [\w./-]+", label) else reason


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


__all__ = ["MAX_LINE", "short_why"]

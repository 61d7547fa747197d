"""What SQLite's FTS5 tokenizer makes of one of our words: asked of SQLite itself, character by character.

Our words are what Python calls letters and digits; FTS5's `unicode61` tokenizer decides from
Unicode 6.1's tables, so a few letters of later Unicode versions (U+19B0, a Lo since 8.0) are
separators to it. A word holding one is two tokens to FTS5, a phrase, which an index without
positions (`detail=none`) refuses with an error. Splitting our words where FTS5 would keeps
every word of a query one token, whatever was typed.
"""

from __future__ import annotations

import re
import sqlite3
import threading

_ASCII_WORD = re.compile(r"[a-z0-9]+")  # our words are folded (lower case): ASCII letters and digits are tokens to both


class Fts5Splitter:
    """Splits words where FTS5 would; each character it has not met before is put to SQLite once."""

    def __init__(self, tokenize: str) -> None:
        self.tokenize = tokenize
        self.separates: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._probe: sqlite3.Connection | None = None

    def split(self, word: str) -> list[str]:
        """The tokens FTS5 makes of `word`: `[word]` unless it holds a character FTS5 takes for a separator."""
        if word.isascii():
            return _ASCII_WORD.findall(word)
        unknown = {ch for ch in word if ch not in self.separates and not ch.isascii()}
        if unknown:
            self._ask(unknown)
        pieces: list[str] = []
        piece: list[str] = []
        for ch in word:
            if self.separates.get(ch, not ch.isalnum()):
                pieces.append("".join(piece))
                piece = []
            else:
                piece.append(ch)
        pieces.append("".join(piece))
        return [p for p in pieces if p]

    def _ask(self, chars: set[str]) -> None:
        """One document `a<ch>a` a character: where `a` alone is a token, the character separated the two."""
        with self._lock:
            if self._probe is None:
                self._probe = sqlite3.connect(":memory:", check_same_thread=False)
                table = f"CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='{self.tokenize}', detail=none)"
                self._probe.execute(table)
            probe = self._probe
            probe.executemany("INSERT INTO probe(rowid, x) VALUES (?, ?)", [(ord(ch), f"a{ch}a") for ch in chars])
            split = {row[0] for row in probe.execute("SELECT rowid FROM probe WHERE probe MATCH 'a'")}
            probe.execute("DELETE FROM probe")
            self.separates.update({ch: ord(ch) in split for ch in chars})

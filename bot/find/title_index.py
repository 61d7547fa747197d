"""Which papers hold which words of their titles, keywords and authors, in memory: the candidates of a search."""

from __future__ import annotations

import io
import logging
import threading
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import BinaryIO

import numpy as np
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bot.find.spelling import Spelling, crude_stem, rarity
from storage import search
from storage.papers import SEP
from storage.tables import utcnow

log = logging.getLogger(__name__)

POSTINGS = 2_500_000  # the postings one search may add up; the commonest words beyond it are left to the re-rank
NAMES = 500_000  # author names whose words are kept while reading
CLOCK_SKEW = timedelta(minutes=5)  # between the processes that write papers and this one
RECENT = 20_000  # ids re-counted for papers committed out of id order: they land among the newest
RECOUNT_EVERY = 10.0  # seconds between those counts (a few ms each), rather than at every search
SHARES = (0.99, 0.8, 0.6, 0.4, 0.25, 0.1)  # of the best score: the levels tried for enough candidates
TIE_BREAK = (
    0.002  # per title word: of papers holding the same words, the shorter title first ("X" before "X: A Survey")
)


class TitleIndex:
    """Every paper's title, keyword and author words: document counts and postings, in memory.

    Counts are per spelling (`bot/find/spelling.py`): misspelt words are repaired against them and
    they tell rare words from common ones. Postings are per stem (paper ids in the order read, 4 bytes
    each: about 85 MB at a million papers), so that candidates are scored here in a few
    milliseconds rather than by a full-text engine that ranks every paper a common word
    matches. New papers are read incrementally by id; every hour the papers changed since are
    read again in the background, so that titles changed in place are found by their new words.
    """

    RELOAD_EVERY = 3600.0

    def __init__(self) -> None:
        self.spelling = Spelling()
        self.last_id = 0
        self.loaded_at = 0.0
        self.changed_since: datetime | None = None  # papers changed after this are read again
        self._stem_of: dict[str, int] = {}  # spelling -> stem number
        self._stems: dict[str, int] = {}  # stem -> stem number
        self._postings: list[array] = []  # stem number -> paper ids holding it
        self._words = array("B")  # paper id -> words in its title (255 at most)
        self._sums = array("I")  # paper id -> CRC-32 of its title, keywords and authors as read
        self._lock = threading.Lock()
        self._rereading = False
        self._recounted_at = 0.0

    @property
    def papers(self) -> int:
        return self.spelling.papers

    # -- reading ---------------------------------------------------------------------------

    def refresh(self, session: Session) -> None:
        """Read the papers added since the last call; hourly, in the background, re-read those changed since."""
        if self.loaded_at and time.monotonic() - self.loaded_at > self.RELOAD_EVERY and not self._rereading:
            self._rereading = True
            threading.Thread(target=self._reread, args=(session.get_bind(),), daemon=True).start()
        if time.monotonic() - self._recounted_at > RECOUNT_EVERY:
            self.read_late(session)
        if search.last_paper_id(session) <= self.last_id:
            return
        with self._lock:
            started, before = time.perf_counter(), self.papers
            self.changed_since = self.changed_since or utcnow()
            self._read(search.title_rows(session, self.last_id))
            self.spelling.reindex()
            self.loaded_at = self.loaded_at or time.monotonic()
        log.info(
            "find index: %d papers read, %d words, %.2fs",
            self.papers - before,
            len(self.spelling.df),
            time.perf_counter() - started,
        )

    def read_late(self, session: Session) -> int:
        """Read the papers below the last id read that were committed after it; how many.

        On PostgreSQL two inserts take ids N and N+1 from the sequence and may commit N+1 first:
        reading "after the last id" then moves past N for good. No paper is ever deleted, so the
        newest ids holding more papers in the database than here means one was committed late.
        """
        self._recounted_at = time.monotonic()
        low, high = max(self.last_id - RECENT, 0), self.last_id
        stored = search.count_between(session, low, high)
        with self._lock:  # a view of the checksums must not outlive the lock: reading grows the array
            sums = np.frombuffer(self._sums, dtype=np.uint32)
            held = int(np.count_nonzero(sums[low + 1 : high + 1]))
            del sums
            if stored <= held:
                return 0
            known = self._sums
            late = [i for i in sorted(search.ids_between(session, low, high)) if i >= len(known) or not known[i]]
            read = self._read(search.title_rows_of(session, late))
            self.spelling.reindex()
        log.info("find index: %d papers committed out of id order read", read)
        return read

    def _reread(self, bind: Engine | Connection) -> None:
        try:
            with Session(bind) as session:
                self.read_changed(session)
        except Exception:  # a failed re-read leaves the index as it was
            log.exception("find index: reading changed papers failed")
        finally:
            self.loaded_at, self._rereading = time.monotonic(), False

    def read_changed(self, session: Session) -> None:
        """Papers whose text changed in place (arXiv replaces titles): add the words they hold now.

        Words they no longer hold keep pointing at them: the re-rank reads the stored title, so
        such a paper only costs a place among the candidates of its old words, and a paper read
        twice is scored once. Far cheaper than reading a million titles again, in time and memory.
        """
        started = utcnow()
        rows = search.changed_rows(session, (self.changed_since or started) - CLOCK_SKEW, self.last_id)
        with self._lock:
            read = self._read(rows, again=True)
            self.spelling.reindex()
        self.changed_since = started
        log.info("find index: %d papers changed, %d of them in their text", len(rows), read)

    def _read(self, rows: Iterable[tuple[int, str, str, str]], again: bool = False) -> int:
        """Index these papers' words; `again`: papers indexed before, skipped unless their text changed."""
        df, stem_of, postings, lengths, sums = self.spelling.df, self._stem_of, self._postings, self._words, self._sums
        names: dict[str, list[str]] = {}  # an author's words, folded once: names recur across papers
        read = 0
        for paper_id, title, keywords, authors in rows:
            if paper_id >= len(lengths):
                grow = paper_id + 1 - len(lengths) + (len(lengths) >> 3)
                lengths.extend(bytes(grow))
                sums.frombytes(bytes(sums.itemsize * grow))
            checksum = zlib.crc32(f"{title}\0{keywords}\0{authors}".encode())
            if again and sums[paper_id] == checksum:  # touched (upvotes, links), its words as they were
                continue
            sums[paper_id], read = checksum, read + 1
            title_words = search.tokens(title)
            words = set(title_words)
            if keywords:
                words.update(search.tokens(keywords))
            for name in authors.split(SEP) if authors else ():
                if name not in names:
                    names[name] = search.tokens(name) if len(names) < NAMES else []
                words.update(names[name] or search.tokens(name))
            df.update(words if not again else [w for w in words if w not in df])  # a known word was counted then
            for word in words:
                if word not in stem_of:
                    stem_of[word] = self._stem_number(crude_stem(word))
            for stem in set(map(stem_of.__getitem__, words)):
                postings[stem].append(paper_id)
            lengths[paper_id] = min(len(title_words), 255)
            if not again:
                self.spelling.papers += 1
                self.last_id = max(self.last_id, paper_id)
        return read

    def _stem_number(self, stem: str) -> int:
        number = self._stems.get(stem)
        if number is None:
            number = self._stems[stem] = len(self._postings)
            self._postings.append(array("i"))
        return number

    # -- snapshots -------------------------------------------------------------------------

    def snapshot(self, handle: BinaryIO, extra: dict[str, np.ndarray]) -> None:
        """Write this index to `handle`: its small arrays and `extra` as one npz, then every posting.

        The postings go out array by array and come back the same way: no copy of all of them
        (85 MB at a million papers) is ever made on top of the index itself.
        """
        with self._lock:
            words, df = list(self.spelling.df), self.spelling.df
            small = extra | {
                "numbers": np.array([self.spelling.papers, self.last_id], np.int64),
                "changed_since": _text((self.changed_since or utcnow()).isoformat()),
                "words": _text("\n".join(words)),
                "df": np.array([df[w] for w in words], np.int32),
                "word_stems": np.array([self._stem_of[w] for w in words], np.int32),
                "stems": _text("\n".join(self._stems)),
                "sizes": np.array([len(p) for p in self._postings], np.int64),
                "lengths": np.frombuffer(self._words.tobytes(), np.uint8),
                "sums": np.frombuffer(self._sums.tobytes(), np.uint32),
            }
            buffer = io.BytesIO()
            np.savez(buffer, **small)  # type: ignore[arg-type]
            handle.write(len(buffer.getbuffer()).to_bytes(8, "little"))
            handle.write(buffer.getbuffer())
            for postings in self._postings:
                postings.tofile(handle)

    @staticmethod
    def snapshot_header(handle: BinaryIO) -> dict[str, np.ndarray]:
        """The small arrays at the start of a snapshot (what `snapshot` wrote, `extra` included)."""
        size = int.from_bytes(handle.read(8), "little")
        with np.load(io.BytesIO(handle.read(size)), allow_pickle=False) as saved:
            return {name: saved[name] for name in saved.files}

    def restore(self, small: dict[str, np.ndarray], handle: BinaryIO) -> None:
        """Take the state a snapshot describes, in place: `small` from its header, the postings from `handle`."""
        words, stems = _words(small["words"]), _words(small["stems"])
        lists = []
        for size in small["sizes"].tolist():
            lists.append(array("i"))
            if size:
                lists[-1].fromfile(handle, size)  # EOFError on a cut file: the caller reads titles instead
        if len(words) != len(small["df"]) or len(stems) != len(lists):
            raise ValueError("a snapshot whose parts do not agree")
        with self._lock:
            self.spelling.papers, self.last_id = (int(n) for n in small["numbers"])
            self.changed_since = datetime.fromisoformat(small["changed_since"].tobytes().decode())
            self.spelling.df = Counter(dict(zip(words, small["df"].tolist(), strict=False)))
            self._stem_of = dict(zip(words, small["word_stems"].tolist(), strict=False))
            self._stems = {stem: number for number, stem in enumerate(stems)}
            self._postings = lists
            self._words = array("B", small["lengths"].tobytes())
            self._sums = array("I", small["sums"].astype(np.uint32).tobytes())
            self.spelling.reindex()
            self.loaded_at = time.monotonic()

    # -- words -----------------------------------------------------------------------------

    def stem_df(self, words: Iterable[str]) -> int:
        """Papers holding any of `words` in any spelling that shares its stem (`changes` finds `changing`)."""
        return sum(len(self._postings[s]) for s in self._stems_of(words))

    def _stems_of(self, words: Iterable[str]) -> list[int]:
        return sorted({s for w in words if (s := self._stems.get(crude_stem(w))) is not None})

    # -- candidates ------------------------------------------------------------------------

    def candidates(self, groups: Sequence[Sequence[str]], limit: int) -> list[tuple[int, float]]:
        """The `limit` papers holding the most of the query's word groups, weighted by rarity.

        A group is one word of the text with its repairs; a paper holds it when it holds any
        spelling of any of them. Every paper is scored, so no word is ever skipped for being
        common, unless the postings to add up pass `POSTINGS` (then the commonest groups,
        which weigh least, are left to the re-rank).
        """
        with self._lock:  # the arrays are viewed without copying: no append while a view lives
            if not self._words:
                return []
            weighted = []
            for group in groups:
                stems = self._stems_of(group)
                df = sum(len(self._postings[s]) for s in stems)
                if df:  # a floor: in a small index a word in every title would weigh nothing or less
                    weighted.append((df, max(rarity(df, self.papers), 0.1), stems))
            weighted.sort(key=lambda g: g[0])
            score = np.zeros(len(self._words), np.float32)
            spent = 0
            for df, weight, stems in weighted:
                if spent and spent + df > POSTINGS:
                    break
                spent += df
                self._add(score, weight, stems)
            return self._best(score, limit)

    def _add(self, score: np.ndarray, weight: float, stems: list[int]) -> None:
        if len(stems) == 1:
            score[np.frombuffer(self._postings[stems[0]], np.int32)] += weight
            return
        seen = np.zeros(len(score), np.bool_)  # a paper holding two spellings of one group counts once
        for stem in stems:
            ids = np.frombuffer(self._postings[stem], np.int32)
            fresh = ids[~seen[ids]]
            score[fresh] += weight
            seen[fresh] = True

    def _best(self, score: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The `limit` best scores, shorter titles first among equals.

        Scores are sums of a few weights, so a million papers share a dozen values: selection
        by partition degrades on such ties (50 ms at a million), so the top levels are taken
        by threshold first, and only what is left is partitioned, on keys made unique. A paper
        holding less than a tenth of the best paper's weight is never a candidate: all it shares
        with the text is a common word or two.
        """
        top = float(score.max())
        if top <= 0:
            return []
        for share in SHARES:
            chosen = np.flatnonzero(score >= top * share)
            if len(chosen) >= limit:
                break
        ranked = score[chosen] - TIE_BREAK * np.frombuffer(self._words, np.uint8)[chosen]
        if len(chosen) > limit:
            part = np.argpartition(ranked.astype(np.float64) - chosen * 1e-12, -limit)[-limit:]
            chosen, ranked = chosen[part], ranked[part]
        order = np.lexsort((chosen, -ranked))
        return [(int(chosen[i]), float(ranked[i])) for i in order]


def _text(value: str) -> np.ndarray:
    return np.frombuffer(value.encode(), np.uint8)


def _words(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode()
    return text.split("\n") if text else []

"""The find index saved to a file, so that a process starts in seconds rather than reading every title again."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from bot.find.title_index import TitleIndex
from storage.engine import file_beside
from storage.search import papers_identity

log = logging.getLogger(__name__)

VERSION = 2
SMALL = 20_000  # papers: an index this small is read from the database as fast as from a snapshot
STALE = 10_000  # papers read since the snapshot was taken before a new one is written


def path_for(engine: Engine) -> Path | None:
    """Beside a SQLite file; for a server, in the user cache folder under a hash of the URL (no password)."""
    return file_beside(engine, "find-index")


def load(index: TitleIndex, path: Path, session: Session) -> bool:
    """Restore `index` from `path` if the snapshot there is of this database; say whether it was."""
    try:
        with open(path, "rb") as handle:
            small = TitleIndex.snapshot_header(handle)
            if int(small["version"][0]) != VERSION:
                return False
            if small["identity"].tobytes().decode() != papers_identity(session, int(small["numbers"][1])):
                log.info("find index: the snapshot %s is of another database; reading titles", path)
                return False
            index.restore(small, handle)
        return True
    except FileNotFoundError:
        return False
    except Exception:  # a damaged or foreign file: the database has everything
        log.warning("find index: the snapshot %s could not be read; reading titles", path, exc_info=True)
        return False


def save(index: TitleIndex, path: Path, session: Session) -> None:
    """Write the snapshot beside the old one, then swap, so that a reader never sees half a file."""
    extra: dict[str, np.ndarray] = {
        "version": np.array([VERSION], np.int64),
        "identity": np.frombuffer(papers_identity(session, index.last_id).encode(), np.uint8),
    }
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            index.snapshot(handle, extra)
        os.replace(partial, path)
    except OSError:  # a read-only or full disk costs the next start its speed, nothing else
        log.warning("find index: could not write the snapshot %s", path, exc_info=True)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def warm(index: TitleIndex, engine: Engine) -> None:
    """Start from the snapshot when there is one, read what changed since, and keep the snapshot fresh."""
    path = path_for(engine)
    with Session(engine) as session:
        restored = bool(path) and load(index, path, session)  # type: ignore[arg-type]
        before = index.papers
        if restored:
            index.read_changed(session)
        index.refresh(session)
        if path and index.papers >= SMALL and (not restored or index.papers - before >= STALE):
            save(index, path, session)

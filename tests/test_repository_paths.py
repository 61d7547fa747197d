"""No file of the repository names a folder of one machine: the shared data is `../shared`, temporary files come from tempfile."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An absolute path into one machine's folders: its work folder, root's home, or a temporary file named from the root.
# (Built from parts, so that this file does not name them itself.)
MACHINE_PATH = re.compile(r"(?<![\w.~$}\-])/(?:" + "|".join(["work", "root", "tmp"]) + r")/")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_names_a_path_of_one_machine() -> None:
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary, or deleted in the working copy
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []


def test_the_check_sees_such_paths() -> None:
    for line in [
        'CORPUS = Path("/' + 'work/shared/data/x.jsonl")',
        '"sqlite:///' + "/" + 'tmp/x/papers.db"',
        "~/" + "root/ no",
        "/" + "root/.cache",
    ]:
        assert bool(MACHINE_PATH.search(line)) == (not line.startswith("~")), line
    for line in ["../shared/data/arxiv/", "https://example.org/tmp/x", "$TMPDIR/papers-bot-UID", "/home/papers/.cache"]:
        assert not MACHINE_PATH.search(line), line

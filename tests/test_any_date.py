"""The suite passes on any date: `.ci/run` runs the tests marked `clock` again a year ahead, and the move is real."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine

from tests.conftest import CLOCK_MODULES

ROOT = Path(__file__).resolve().parent.parent
DAY = 86_400.0


def ahead() -> float:
    """How far ahead of the real time this process's clock is (time-machine's escape hatch reads the real one)."""
    hatch = time_machine.escape_hatch
    return time.time() - (hatch.time.time() if hatch.is_travelling() else time.time())


def test_ci_runs_the_readme_test_command_which_ends_with_the_clock_tests_a_year_ahead() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert lines[-1].endswith(" && PAPERS_TEST_CLOCK_SHIFT_DAYS=365 .venv/bin/python -m pytest -q -n auto -m clock")
    assert f"    {lines[-1]}\n" in (ROOT / "README.md").read_text()  # verbatim, as its test command
    assert [name for name in sorted(CLOCK_MODULES) if not (ROOT / "tests" / f"{name}.py").is_file()] == []


def test_a_moved_run_moves_its_own_clock_and_the_processes_it_starts() -> None:
    days = float(os.environ.get("PAPERS_TEST_CLOCK_SHIFT_DAYS") or 0)
    # The child reads its clock after a pause, as a `papers-bot` process does after its imports: it is as far ahead.
    code = "import time; time.sleep(0.5); from tests.test_any_date import ahead; print(ahead())"
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert ahead() == pytest.approx(days * DAY, abs=0.2)
    assert float(child.stdout) == pytest.approx(days * DAY, abs=0.2)

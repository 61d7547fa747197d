"""Moves a test's child Python process's clock as tests/conftest.py moved the suite's (PAPERS_TEST_CLOCK_SHIFT_DAYS).

tests/conftest.py puts this folder first on PYTHONPATH when the variable is set, so every `papers-bot` or
`python -m adapters.cli` a test starts with the suite's environment sees the same date as the test that
started it; Python imports `sitecustomize` by itself at start.
"""

from __future__ import annotations

import os
from datetime import timedelta

if days := os.environ.get("PAPERS_TEST_CLOCK_SHIFT_DAYS"):
    import time

    import time_machine

    time_machine.travel(timedelta(days=float(days)), tick=True).start()
    os.environ["PAPERS_TEST_CLOCK_MOVED"] = str(os.getpid())  # this process: its own conftest must not move it again
    time.time()  # time-machine's clock starts ticking at its first reading: now, not after seconds of imports

"""How often the interpreter lets another thread run, for a process that runs delivery passes.

A pass serves channels in threads, and most of a channel's time is spent waiting on the database,
which lets the other threads run. A channel with feedback instead computes its model (Python and
numpy) for a few milliseconds, and at Python's default a thread that computes keeps the interpreter
for up to 5 ms at a time: every other thread whose query has come back waits that long to go on.
At 1 ms, a pass over 10,000 channels, 1,000 of them scoring a kept model, took 56 s instead of 83 on
PostgreSQL (45.5 s instead of 54.7 without feedback); on SQLite, whose queries wait little, about the
same as before, and 0.5 ms was slower there (bench/README.md, the fan-out benchmark).
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL = 0.001  # seconds


def quick_switches() -> None:
    """Let threads take turns every SWITCH_INTERVAL at the most (never less often than the process already does)."""
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)


__all__ = ["SWITCH_INTERVAL", "quick_switches"]

"""Where the shared data sits: `../shared` beside the working copy (saved responses, the 20k arXiv quarter, the seed page)."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"

"""uvicorn's Config as the web process needs it: the headers' deadline, our logging and a quiet SIGTERM in each worker.

Kept light (no bot, no bolt): a spawned worker unpickles it before it can answer its supervisor.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


def stop_quietly_after_sigterm() -> None:
    """uvicorn raises SIGTERM again once it has finished the requests in hand: then return, not die.

    Returning lets Python finish the threads that answer later (bolt's lazy listeners) before it exits;
    a second SIGTERM or Ctrl-C while they do ends the process at once.
    """

    def now(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received again: stopping now", signal.Signals(signum).name)
        logging.shutdown()
        os._exit(128 + signum)

    def stopped(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s received: the requests in hand were answered; stopping", signal.Signals(signum).name)
        signal.signal(signal.SIGTERM, now)
        signal.signal(signal.SIGINT, now)

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)


class WebConfig(uvicorn.Config):
    """uvicorn's Config with the headers' deadline and our logging (picklable: worker processes are spawned with it)."""

    def __init__(self, *args: Any, header_timeout: float, log_setup: tuple[int, str], **kwargs: Any) -> None:
        self.header_timeout, self.log_setup = header_timeout, log_setup
        super().__init__(*args, **kwargs)

    def configure_logging(self) -> None:
        """Also the one hook a spawned worker runs before serving: our logging, and a quiet SIGTERM."""
        super().configure_logging()
        if multiprocessing.parent_process() is not None:  # in a worker process of uvicorn's supervisor
            from adapters.logs import setup_logging

            setup_logging(*self.log_setup)
            stop_quietly_after_sigterm()  # before uvicorn notes the handlers it will restore and call

"""A task run every few seconds in a background thread of ``appeals serve``
(the webhook deliverer), stopped with the server; a failing pass is logged
and the next one runs as usual."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("appeals.periodic")


class Periodic:
    def __init__(self, name: str, every: float, task: Callable[[], object]) -> None:
        self.name, self.every, self.task = name, every, task
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"appeals-{self.name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.task()
            except Exception:
                log.exception("%s: a pass failed", self.name)
            self.stopping.wait(self.every)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

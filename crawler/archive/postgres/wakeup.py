"""A wakeup for a crawl worker waiting on its PostgreSQL connection (crawler/archive/postgres/leases.py,
`WorkerLeases.wait_for_work`): a self-pipe, set from the reactor's thread as the worker stops (SIGTERM,
SIGINT), and selected on beside the connection by the thread that waits.

The reactor stops only once its thread pool's threads have returned: without the wakeup a worker
told to stop while waiting would stop only once its wait had run out.
"""

from __future__ import annotations

import os
import selectors
import time

from psycopg import Connection


class Wakeup:
    """Set once, set for good: every wait after it returns at once (the pipe is never drained)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            os.write(self._write, b"\0")

    def is_set(self) -> bool:
        return self._set

    def fileno(self) -> int:
        return self._read

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


def await_notification(connection: Connection, seconds: float, wakeup: Wakeup | None) -> None:
    """Return on a notification on the connection (one LISTENing), on the wakeup, or after `seconds`."""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(connection.fileno(), selectors.EVENT_READ)
        if wakeup is not None:
            selector.register(wakeup, selectors.EVENT_READ)
        while True:
            # Notifications read already (with the statement before the wait) come first.
            for _ in connection.notifies(timeout=0, stop_after=1):
                return
            left = deadline - time.monotonic()
            if left <= 0 or (wakeup is not None and wakeup.is_set()):
                return
            selector.select(left)

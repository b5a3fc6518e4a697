"""Frames and uploads being analysed in this process, and whether it is shutting down.

`python -m server` drains on SIGTERM: it stops taking new work, waits until this count is zero,
then exits, so no frame that the server accepted is lost. Counted on the event loop only.
"""
from contextlib import contextmanager

from server.images import InputError


class InFlight:
    def __init__(self):
        self.count = 0
        self.draining = False

    def check_open(self):
        """Refuse new work once draining: the client should go to another process."""
        if self.draining:
            raise InputError("the server is shutting down; reconnect to be served by another process",
                             503, "shutting_down")

    @contextmanager
    def work(self):
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1


IN_FLIGHT = InFlight()

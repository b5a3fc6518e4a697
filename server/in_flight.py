"""Frames and uploads being analysed in this process, and whether it is shutting down.

On SIGTERM the server drains (`server.serving.drain`, under `python -m server` and under the
Procfile's gunicorn): it stops taking new work, waits until this count is zero, then exits, so no
frame or upload that the server accepted is lost. A Socket.IO frame counts from the moment it is
taken until its result is emitted; a REST request to /api/predict or /api/analyze counts
(`CountRequests`) from its arrival until its response has been written out.

A drain has a deadline: work still running near its end (a long /api/analyze) is answered with
a 503 `shutting_down` rather than cut when the process exits. Counted on the event loop only.
"""
import time
from contextlib import contextmanager

from server.images import InputError

# REST paths whose requests the drain waits for (Socket.IO frames are counted by server.stream).
WORK_PATHS = ("/api/predict", "/api/analyze")


class InFlight:
    def __init__(self):
        self.count = 0
        self.draining = False
        self.answer_by = None  # time.monotonic() by which all work must be answered, once draining

    def start_draining(self, answer_within_s):
        """Refuse new work from now on, and give the work in flight `answer_within_s` to finish."""
        self.answer_by = time.monotonic() + answer_within_s
        self.draining = True

    def check_open(self):
        """Refuse new work once draining: the client should go to another process."""
        if self.draining:
            raise InputError("the server is shutting down; reconnect to be served by another process",
                             503, "shutting_down")

    def check_time(self):
        """For long work, between steps (it may run in a worker thread): give up with a 503 once the
        drain's deadline has passed, so the client hears why rather than losing its connection."""
        if self.answer_by is not None and time.monotonic() > self.answer_by:
            raise InputError("the server is shutting down and could not finish this in time; "
                             "send it again to be served by another process", 503, "shutting_down")

    @contextmanager
    def work(self):
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1


IN_FLIGHT = InFlight()


class CountRequests:
    """WSGI middleware: a request to one of WORK_PATHS counts as in flight until the server has
    written its response (the response iterable's close()), not only until the view returns."""

    def __init__(self, app, paths=WORK_PATHS, in_flight=IN_FLIGHT):
        self.app, self.paths, self.in_flight = app, frozenset(paths), in_flight

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") not in self.paths:
            return self.app(environ, start_response)
        self.in_flight.count += 1
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.in_flight.count -= 1
            raise
        return _Answered(body, self.in_flight)


class _Answered:
    """The app's response iterable, ending the count (once) when the server asks for more after the
    last chunk, i.e. once it has written them all, or on close(), whichever comes first."""

    def __init__(self, body, in_flight):
        self.body, self.in_flight, self.counted = body, in_flight, True

    def __iter__(self):
        yield from self.body
        self._done()

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self._done()

    def _done(self):
        if self.counted:
            self.counted = False
            self.in_flight.count -= 1

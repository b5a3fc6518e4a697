"""gunicorn's settings for the Procfile (`gunicorn --config gunicorn.conf.py 'server:create_app()'`).

- One eventlet worker: Socket.IO keeps each session in the process that opened it, and gunicorn
  spreads requests over its workers with no stickiness. More cores: several processes behind
  nginx (docs/scaling.md).
- timeout 120: time for the worker to load TensorFlow Lite and the models on a busy machine.
- SIGTERM drains, as `python -m server` does: the worker stops accepting, refuses new work (503 or
  an `error` event `shutting_down`: reconnect), answers the frames and uploads in flight, ends
  every Socket.IO session and exits, all within graceful_timeout (after which gunicorn's master
  kills it); an /api/analyze that cannot finish 2 s before then gets a 503. gunicorn's own eventlet
  worker answered what was in flight but took new frames throughout and waited for every WebSocket
  to close, so the master killed it at graceful_timeout, cutting whatever was running then.
  SIGINT and SIGQUIT stay gunicorn's quick shutdown. A platform that kills sooner than 30 s after
  SIGTERM: lower graceful_timeout to fit (GUNICORN_CMD_ARGS="--graceful-timeout 8").
"""
import os
import time

from gunicorn.workers.geventlet import EventletWorker

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = 1
timeout = 120
graceful_timeout = 30
EXIT_MARGIN_S = 2  # of graceful_timeout: closing the sessions, leaving


class DrainingEventletWorker(EventletWorker):
    """gunicorn's eventlet worker with `python -m server`'s drain on SIGTERM (server.serving.drain)."""

    drain_started = None

    def handle_exit(self, sig, frame):
        """SIGTERM: refuse new work from this moment (the run loop notices within its 1 s tick)."""
        from server.in_flight import IN_FLIGHT
        from server.serving import ANSWER_MARGIN_S

        super().handle_exit(sig, frame)
        if self.drain_started is None:
            self.drain_started = time.monotonic()
            IN_FLIGHT.start_draining(max(self.drain_s() - ANSWER_MARGIN_S, 0))

    def drain_s(self):
        """How long the drain may last, counted from SIGTERM."""
        return max(self.cfg.graceful_timeout - EXIT_MARGIN_S, 1)

    def run(self):
        import eventlet
        from eventlet.greenio import GreenSocket

        from server.memory import freeze_startup_objects
        from server.serving import drain

        freeze_startup_objects()
        pools, acceptors = [], []
        for sock in self.sockets:
            listener = GreenSocket(sock)
            listener.setblocking(1)
            pool = eventlet.GreenPool(self.worker_connections)
            pools.append(pool)
            acceptors.append(eventlet.spawn(self._accept, listener, pool))
            eventlet.sleep(0)

        while self.alive:  # until SIGTERM (handle_exit)
            self.notify()
            eventlet.sleep(1.0)
        started = self.drain_started or time.monotonic()
        for acceptor in acceptors:  # stop accepting: this worker's copy of the listening socket closes
            acceptor.kill(eventlet.StopServe())
        socketio = getattr(self.wsgi, "extensions", {}).get("socketio")
        if socketio is not None:
            drain(socketio, max(self.drain_s() - (time.monotonic() - started), 0.1), notify=self.notify)
        # Connections that are left (idle keep-alive, sessions closing) get what remains of the time.
        with eventlet.Timeout(max(self.drain_s() - (time.monotonic() - started), 0.1), False):
            for pool in pools:
                pool.waitall()

    def _accept(self, listener, pool):
        """gunicorn's accept loop, except that StopServe closes the socket and returns at once (the
        drain, not the acceptor, waits for the connections)."""
        import eventlet

        handle = self.handle
        while True:
            try:
                client, address = listener.accept()
                pool.spawn_n(handle, listener, client, address)  # handle() closes the client
                client = address = None
            except eventlet.StopServe:
                listener.close()
                return


worker_class = DrainingEventletWorker

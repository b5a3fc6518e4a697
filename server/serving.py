"""`python -m server`'s HTTP server: eventlet's WSGI server with bounds on slow and idle clients,
and a drain on SIGTERM.

Without them 1,076 half-sent requests held every one of eventlet's 1,024 connection slots and
/healthz went unanswered for as long as they were held (slowloris). Here a client has
HEADER_TIMEOUT_S to send its request line and headers, however slowly it trickles them, and
SOCKET_TIMEOUT_S of silence at most once connected (Engine.IO pings every 25 s, so a live
WebSocket is never silent that long); the connection pool is larger than one attacker's burst,
one address holds at most its share of it (ConnectionsPerAddress), the kernel's backlog holds such
a burst until it is accepted (one connection per turn of the event loop), and a request its client
cut off before the end of its headers is not answered.

On SIGTERM it drains (`drain`, which the Procfile's gunicorn runs too, from gunicorn.conf.py).
"""
import collections
import logging
import os
import resource
import signal
import socket
import struct
import time

import eventlet
from eventlet import hubs, wsgi

from server.in_flight import IN_FLIGHT
from server.memory import freeze_startup_objects

HEADER_TIMEOUT_S = 10   # request line + headers, from the first wait to the blank line
SOCKET_TIMEOUT_S = 60   # any one read or write once the request is under way
DRAIN_TIMEOUT_S = 30    # SIGTERM: the longest wait for work in flight (a frame takes well under 1 s)
REFUSALS_PER_TURN = 64  # connections refused per turn of the event loop in a burst
WARN_EVERY_S = 60       # refused connections are logged at most this often
ANSWER_MARGIN_S = 2     # work still running this long before the drain ends gets a 503 instead
log = logging.getLogger("server")


class HeaderDeadline(wsgi.HttpProtocol):
    """eventlet's protocol with one deadline over reading a request's line and headers
    (its socket timeout applies to each read, which a client sending a byte at a time evades),
    and no answer to a request whose client closed the connection before the end of its headers
    (Python's header parser takes that end of file for the blank line that ends them, so each
    half-sent request of a slowloris ran the app when the attacker let go: 1,100 at once)."""

    def _read_request_line(self):
        self._deadline = eventlet.Timeout(HEADER_TIMEOUT_S, socket.timeout("request headers took too long"))
        line = super()._read_request_line()
        if not line or len(line) >= self.server.url_length_limit:  # parse_request will not run
            self._deadline.cancel()
        return line

    per_address = None  # the server's ConnectionsPerAddress, set by `serve`

    def setup(self):
        try:
            super().setup()
        except BaseException:  # HttpProtocol calls finish() only once setup() is done
            self._release()
            raise

    def finish(self):
        try:
            super().finish()
        finally:
            self._release()

    def _release(self):
        if self.per_address is not None:
            self.per_address.release(self.client_address[0])

    def parse_request(self):
        self.rfile = _EndOfFileRaises(self.rfile)
        try:
            return super().parse_request()
        except _ClientLeft:  # before the blank line that ends the headers: nobody waits for an answer
            self.close_connection = 1
            return False
        finally:
            self._deadline.cancel()
            self.rfile = self.rfile.file


class _ClientLeft(Exception):
    pass


class _EndOfFileRaises:
    """A file for the header parser that raises at the end of the client's data (which the parser
    would take for the blank line that ends the headers), before any of them is parsed."""

    def __init__(self, file):
        self.file = file

    def readline(self, size=-1):
        line = self.file.readline(size)
        if not line:
            raise _ClientLeft()
        return line


class ConnectionsPerAddress:
    """How many connections each client address holds, against a limit. A slowloris from one
    address then holds at most `limit` connections: letting go of them all at once costs the event
    loop one pass over `limit` ends of file (about 65 microseconds each), not over a thousand."""

    def __init__(self, limit):
        self.limit, self.held = limit, collections.Counter()

    def admit(self, address) -> bool:
        if self.held[address] >= self.limit:
            return False
        self.held[address] += 1
        return True

    def release(self, address):
        self.held[address] -= 1
        if self.held[address] <= 0:
            del self.held[address]


def refuse(connection):
    """Close an accepted connection at once with a reset (no goodbye exchanged, nothing kept in TIME_WAIT)."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        connection.close()


class YieldingListener:
    """The listening socket, giving the event loop a turn after each connection it accepts, and
    refusing a connection from an address that already holds its limit (`per_address`).
    eventlet's server accepts in a loop that never yields while connections are waiting, so a burst
    of them waiting in the backlog (a slowloris, clients reconnecting after a restart) would hold up
    every other client for the whole burst, about 0.2 ms a connection."""

    def __init__(self, sock, per_address: ConnectionsPerAddress):
        self.sock, self.per_address = sock, per_address
        self.warned = -WARN_EVERY_S

    def accept(self):
        refused = 0
        while True:
            connection, address = self.sock.accept()
            if self.per_address.admit(address[0]):
                eventlet.sleep(0)
                return connection, address
            # A refusal costs microseconds: a burst of them yields the loop every REFUSALS_PER_TURN,
            # so that a new client queued behind them (the backlog is first come, first served) waits less.
            refuse(connection)
            refused += 1
            if refused % REFUSALS_PER_TURN == 0:
                eventlet.sleep(0)
            if time.monotonic() - self.warned > WARN_EVERY_S:  # one line, not one per refused connection
                self.warned = time.monotonic()
                log.warning("refusing connections from %s: it holds %d already (FER_MAX_CONNECTIONS_PER_ADDRESS)",
                            address[0], self.per_address.limit)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def raise_file_limit(connections):
    """Each connection is a file descriptor: lift the soft limit to fit the pool if the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # listening socket, model files, logs, tpool pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))


def disconnect_everyone(socketio):
    """End every Socket.IO session (the page and the Python client reconnect, here or elsewhere)."""
    for namespace in list(socketio.server.manager.get_namespaces()):
        for sid, _ in list(socketio.server.manager.get_participants(namespace, None)):
            socketio.server.disconnect(sid, namespace=namespace)


def drain(socketio, timeout_s, notify=None):
    """Refuse new work (`shutting_down`, so clients reconnect elsewhere), wait up to `timeout_s` for
    the frames and uploads in flight to be answered, then end every Socket.IO session. Work still
    running ANSWER_MARGIN_S before the end (a long /api/analyze) is answered with a 503 instead of
    being cut. `notify`: called while waiting (gunicorn's worker heartbeat). Returns how many were
    still in flight at the end (0 unless something outlived the deadline)."""
    if not IN_FLIGHT.draining:  # (gunicorn's worker starts refusing in its signal handler)
        IN_FLIGHT.start_draining(max(timeout_s - ANSWER_MARGIN_S, 0))
    deadline = time.monotonic() + timeout_s
    while IN_FLIGHT.count and time.monotonic() < deadline:
        eventlet.sleep(0.02)
        if notify:
            notify()
    left = IN_FLIGHT.count
    log.info("drained (%d still in flight); exiting", left)
    disconnect_everyone(socketio)
    eventlet.sleep(0.1)  # let the close packets go out
    return left


def drain_and_exit(listener, socketio, timeout_s=DRAIN_TIMEOUT_S):
    """Stop accepting, drain, then exit."""
    listener.close()
    drain(socketio, timeout_s)
    logging.shutdown()
    # eventlet's server waits for every open connection before it returns, WebSockets included;
    # all that was owed has been answered, so leave at once.
    os._exit(0)


def drain_on_signals(listener, socketio, timeout_s=DRAIN_TIMEOUT_S):
    """SIGTERM or SIGINT -> drain_and_exit. Python runs a signal handler while eventlet's hub sleeps
    in epoll and then resumes the sleep, so a green thread the handler spawned could wait for the
    next timer (20 s and more on an idle server). The handler writes to a pipe instead, and the
    hub wakes at once for the green thread that waits on it."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    real_write = eventlet.patcher.original("os").write

    def waiter():
        hubs.trampoline(read_fd, read=True)
        drain_and_exit(listener, socketio, timeout_s)

    eventlet.spawn_n(waiter)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: real_write(write_fd, b"x"))


def serve(app, socketio, host, port, max_connections, certfile=None, keyfile=None,
          drain_timeout_s=DRAIN_TIMEOUT_S, max_per_address=None):
    """Serve `app` until SIGTERM or SIGINT, then drain (for at most `drain_timeout_s`). At most
    `max_connections` connections at once, `max_per_address` of them from one address."""
    raise_file_limit(max_connections)
    # As many connections may wait to be accepted as the server holds (the kernel caps it at
    # net.core.somaxconn). eventlet's default, 50, made a slowloris's connection attempts, and any
    # other client's meanwhile, be dropped and retried after 1 s and more.
    listener = eventlet.listen((host, port), socket.AF_INET6 if ":" in host else socket.AF_INET,
                               backlog=max_connections)
    if certfile:
        listener = eventlet.wrap_ssl(listener, certfile=certfile, keyfile=keyfile, server_side=True)
    drain_on_signals(listener, socketio, drain_timeout_s)
    freeze_startup_objects()
    # log_output=False: the access log would record every request line; frames are never logged anyway.
    per_address = ConnectionsPerAddress(max_per_address or max_connections)
    protocol = type("Protocol", (HeaderDeadline,), {"per_address": per_address})
    wsgi.server(YieldingListener(listener, per_address), app, protocol=protocol, max_size=max_connections,
                socket_timeout=SOCKET_TIMEOUT_S, keepalive=HEADER_TIMEOUT_S, log_output=False, debug=False)

"""`python -m server`'s HTTP server: eventlet's WSGI server with bounds on slow and idle clients,
and a drain on SIGTERM.

Without them 1,076 half-sent requests held every one of eventlet's 1,024 connection slots and
/healthz went unanswered for as long as they were held (slowloris). Here a client has
HEADER_TIMEOUT_S to send its request line and headers, however slowly it trickles them, and
SOCKET_TIMEOUT_S of silence at most once connected (Engine.IO pings every 25 s, so a live
WebSocket is never silent that long); the connection pool is larger than one attacker's burst.
"""
import logging
import os
import resource
import signal
import socket
import time

import eventlet
from eventlet import hubs, wsgi

from server.in_flight import IN_FLIGHT

HEADER_TIMEOUT_S = 10   # request line + headers, from the first wait to the blank line
SOCKET_TIMEOUT_S = 60   # any one read or write once the request is under way
DRAIN_TIMEOUT_S = 30    # SIGTERM: the longest wait for frames in flight (a frame takes well under 1 s)
log = logging.getLogger("server")


class HeaderDeadline(wsgi.HttpProtocol):
    """eventlet's protocol with one deadline over reading a request's line and headers
    (its socket timeout applies to each read, which a client sending a byte at a time evades)."""

    def _read_request_line(self):
        self._deadline = eventlet.Timeout(HEADER_TIMEOUT_S, socket.timeout("request headers took too long"))
        line = super()._read_request_line()
        if not line or len(line) >= self.server.url_length_limit:  # parse_request will not run
            self._deadline.cancel()
        return line

    def parse_request(self):
        try:
            return super().parse_request()
        finally:
            self._deadline.cancel()


def raise_file_limit(connections):
    """Each connection is a file descriptor: lift the soft limit to fit the pool if the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # listening socket, model files, logs, tpool pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))


def drain_and_exit(listener, socketio):
    """Stop accepting, refuse new frames (`shutting_down`, so clients reconnect elsewhere), wait for
    those in flight to be answered, then close every client and exit."""
    IN_FLIGHT.draining = True
    listener.close()
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while IN_FLIGHT.count and time.monotonic() < deadline:
        eventlet.sleep(0.02)
    log.info("drained (%d still in flight); exiting", IN_FLIGHT.count)
    for namespace in list(socketio.server.manager.get_namespaces()):
        for sid, _ in list(socketio.server.manager.get_participants(namespace, None)):
            socketio.server.disconnect(sid, namespace=namespace)
    eventlet.sleep(0.1)  # let the close packets go out
    logging.shutdown()
    # eventlet's server waits for every open connection before it returns, WebSockets included;
    # all that was owed has been answered, so leave at once.
    os._exit(0)


def drain_on_signals(listener, socketio):
    """SIGTERM or SIGINT -> drain_and_exit. Python runs a signal handler while eventlet's hub sleeps
    in epoll and then resumes the sleep, so a green thread the handler spawned could wait for the
    next timer (20 s and more on an idle server). The handler writes to a pipe instead, and the
    hub wakes at once for the green thread that waits on it."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    real_write = eventlet.patcher.original("os").write

    def waiter():
        hubs.trampoline(read_fd, read=True)
        drain_and_exit(listener, socketio)

    eventlet.spawn_n(waiter)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: real_write(write_fd, b"x"))


def serve(app, socketio, host, port, max_connections, certfile=None, keyfile=None):
    """Serve `app` until SIGTERM or SIGINT, then drain."""
    raise_file_limit(max_connections)
    listener = eventlet.listen((host, port), socket.AF_INET6 if ":" in host else socket.AF_INET)
    if certfile:
        listener = eventlet.wrap_ssl(listener, certfile=certfile, keyfile=keyfile, server_side=True)
    drain_on_signals(listener, socketio)
    # log_output=False: the access log would record every request line; frames are never logged anyway.
    wsgi.server(listener, app, protocol=HeaderDeadline, max_size=max_connections, socket_timeout=SOCKET_TIMEOUT_S,
                keepalive=HEADER_TIMEOUT_S, log_output=False, debug=False)

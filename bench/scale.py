"""Throughput with many clients: one `python -m server` process, then N behind nginx (deploy/).

    .venv/bin/python -m bench.scale [--clients 16] [--processes 2] [--seconds 30] [--soak-minutes 0]

Each client is a Socket.IO client on its own WebSocket with one 640x480 JPEG frame in flight:
it sends, waits for the result, sends again. After a 3 s warm-up, reports results/s over
--seconds, round-trip p50/p99 and errors (an `error` event, or no answer within 10 s).
Behind nginx it then kills one process with SIGKILL and reports how long its clients took to get
a result again (they reconnect through nginx to a live process), and how many did.
--soak-minutes M: afterwards, M minutes more with the same clients, reporting each process's
RSS growth and the errors.
"""
import argparse
import os
import signal
import statistics
import sys
import threading
import time

import cv2
import skimage.data
import socketio

from deploy.cluster import Cluster
from tests.support.images import encode
from tests.support.live_server import LiveServer, free_port

ANSWER_TIMEOUT_S = 10


class Client(threading.Thread):
    """Sends a frame, waits for its answer, repeats, until `stop`; records (time answered, ms)."""

    def __init__(self, url, name, frame, stop):
        super().__init__(daemon=True)
        self.frame, self.stop, self.answered = frame, stop, threading.Event()
        self.samples, self.errors, self.disconnects, self.last = [], 0, 0, None
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("result", self._answer, namespace="/stream")
        self.sio.on("error", self._error, namespace="/stream")
        self.sio.on("disconnect", self._disconnect, namespace="/stream")
        self.sio.connect(f"{url}?client={name}", namespaces=["/stream"], transports=["websocket"], wait_timeout=10)

    def _answer(self, data):
        self.last = data
        self.answered.set()

    def _error(self, data):
        self.errors += 1
        self.answered.set()

    def _disconnect(self, *reason):
        self.disconnects += 1
        self.answered.set()  # the frame in flight died with the connection: send the next one

    def run(self):
        n = 0
        while not self.stop.is_set():
            self.answered.clear()
            self.last = None
            start = time.perf_counter()
            try:
                self.sio.emit("frame", {"id": n, "image": self.frame}, namespace="/stream")
            except socketio.exceptions.BadNamespaceError:  # reconnecting
                time.sleep(0.05)
                continue
            if not self.answered.wait(ANSWER_TIMEOUT_S):
                self.errors += 1
            elif self.last is not None and self.last.get("id") == n:
                self.samples.append((time.time(), (time.perf_counter() - start) * 1000))
            n += 1

    def close(self):
        self.sio.disconnect()


def run_clients(url, count, frame, seconds, warmup=3.0, during=None):
    """`count` clients for warmup + seconds; `during(clients, stop)` runs alongside, if given."""
    stop = threading.Event()
    clients = [Client(url, f"bench-{i}", frame, stop) for i in range(count)]
    for c in clients:
        c.start()
    time.sleep(warmup)
    start = time.time()
    if during:
        during(clients)
    time.sleep(max(0.0, seconds - (time.time() - start)))
    end = time.time()
    stop.set()
    for c in clients:
        c.join(ANSWER_TIMEOUT_S + 1)
        c.moved = c.disconnects > 0  # before close(), which disconnects too
        c.close()
    latencies = sorted(ms for c in clients for at, ms in c.samples if start <= at <= end)
    return clients, latencies, end - start


def report(label, clients, latencies, seconds):
    errors = sum(c.errors for c in clients)
    p = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    print(f"{label:34} {len(latencies) / seconds:8.1f} results/s  p50 {p[49]:6.0f} ms  p99 {p[98]:6.0f} ms  "
          f"errors {errors}", flush=True)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--soak-minutes", type=float, default=0)
    parser.add_argument("--skip-single", action="store_true", help="only the nginx cluster")
    args = parser.parse_args()
    frame = encode(cv2.resize(skimage.data.astronaut(), (640, 480)), quality=80)
    print(f"{args.clients} clients, one 640x480 JPEG ({len(frame) // 1024} kB) in flight each, "
          f"{args.seconds:.0f} s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before starting")

    if not args.skip_single:
        single = LiveServer([sys.executable, "-m", "server"], {}).wait()
        try:
            report("python -m server, 1 process", *run_clients(single.url, args.clients, frame, args.seconds))
        finally:
            single.stop()

    with Cluster(args.processes, port=free_port(), backend_ports=[free_port() for _ in range(args.processes)],
                 host="127.0.0.1") as cluster:
        report(f"nginx + {args.processes} processes", *run_clients(cluster.url, args.clients, frame, args.seconds))

        victim = cluster.backend_ports[0]
        killed = {}

        def kill(clients):
            time.sleep(2)
            killed["at"] = time.time()
            os.kill(cluster.backends[victim].pid, signal.SIGKILL)

        clients, latencies, seconds = run_clients(cluster.url, args.clients, frame, 12, during=kill)
        moved = [c for c in clients if c.moved]
        back = [min((at for at, _ in c.samples if at > killed["at"]), default=float("inf")) - killed["at"]
                for c in moved]
        print(f"kill -9 of 1 of {args.processes}: {len(moved)} of {args.clients} clients moved; result again after "
              f"median {statistics.median(back) if back else float('nan'):.2f} s, "
              f"max {max(back, default=float('nan')):.2f} s; "
              f"errors {sum(c.errors for c in clients)} (frames lost in the killed process)", flush=True)
        cluster.restart(victim)
        cluster.wait()
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)

        if args.soak_minutes:
            pids = {p: proc.pid for p, proc in cluster.backends.items()}
            soak_clients = max(1, args.clients // 2)
            before = {}

            def measure_start(clients):
                time.sleep(30)  # the first frames grow caches and pools; growth is measured after them
                before.update({p: rss_mb(pid) for p, pid in pids.items()})

            clients, latencies, seconds = run_clients(cluster.url, soak_clients, frame, args.soak_minutes * 60,
                                                      during=measure_start)
            after = {p: rss_mb(pid) for p, pid in pids.items()}
            report(f"soak, {soak_clients} clients, {args.soak_minutes:g} min", clients, latencies, seconds)
            for p in pids:
                growth = (after[p] / before[p] - 1) * 100
                print(f"  process :{p} RSS {before[p]:.0f} -> {after[p]:.0f} MB ({growth:+.1f}%)")


if __name__ == "__main__":
    main()

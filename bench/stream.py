"""Does inference stall the eventlet loop? One client floods frames while another measures.

    .venv/bin/python -m bench.stream [--detector haar] [--seconds 10]

Starts `python -m server` on a free loopback port twice: as shipped (inference in eventlet's
thread pool) and with inference called on the loop (`--inline` variant, for comparison). In each,
client A sends 640x480 JPEG frames at 30 fps (the server keeps the newest), while client B sends
one frame every 250 ms and waits for its result (up to 10 s), and a plain HTTP client polls /healthz.
Prints B's round trip and /healthz latency (median, p90, max) and A's served frames.
"""
import argparse
import statistics
import sys
import threading
import time

import requests
import skimage.data
import socketio

from tests.support.face_frames import fit
from tests.support.images import encode
from tests.support.live_server import LiveServer

PROBE_TIMEOUT_S = 10  # a probe frame not answered by then counts as lost (and as 10 s)
INLINE = ("import eventlet; eventlet.monkey_patch(); from server.pipeline import Engine; "
          "Engine.analyse_off_loop = Engine.analyse; from server.__main__ import main; main()")


def stats(values_ms):
    values = sorted(values_ms)
    return f"{statistics.median(values):7.1f} {values[int(len(values) * 0.9)]:7.1f} {values[-1]:7.1f}"


def measure(server, jpeg, seconds):
    """Flood with client A; time client B's frames and /healthz. Returns three lists of numbers."""
    flooder, prober = socketio.SimpleClient(), socketio.SimpleClient()
    for client in (flooder, prober):
        client.connect(server.url, namespace="/stream", transports=["websocket"])
    stop = threading.Event()
    served = []

    def flood():
        i = 0
        while not stop.is_set():
            flooder.emit("frame", {"id": i, "image": jpeg})
            i += 1
            time.sleep(1 / 30)

    def drain():
        while not stop.is_set():
            try:
                served.append(flooder.receive(timeout=1))
            except socketio.exceptions.TimeoutError:
                pass

    def poll(health):
        while not stop.is_set():
            start = time.perf_counter()
            try:
                requests.get(server.url + "/healthz", timeout=PROBE_TIMEOUT_S)
            except requests.RequestException:
                pass  # counted at the timeout, which is what a user would have waited
            health.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)

    health, round_trips, timeouts = [], [], 0
    threads = [threading.Thread(target=f) for f in (flood, drain)] + [threading.Thread(target=poll, args=(health,))]
    for t in threads:
        t.start()
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        prober.emit("frame", {"id": f"b{i}", "image": jpeg})
        try:
            while prober.receive(timeout=PROBE_TIMEOUT_S)[1].get("id") != f"b{i}":
                pass  # a late answer to an earlier probe
        except socketio.exceptions.TimeoutError:
            timeouts += 1
        round_trips.append((time.perf_counter() - start) * 1000)
        i += 1
        time.sleep(0.25)
    stop.set()
    for t in threads:
        t.join()
    for client in (flooder, prober):
        client.disconnect()
    frame_ms = [r[1]["timings"]["total"] for r in served if r[0] == "result"]
    return round_trips, timeouts, health, frame_ms


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--detector", default="haar", help="FER_DETECTOR for the server (haar is the slowest)")
    parser.add_argument("--seconds", type=float, default=10, help="measuring time per variant")
    args = parser.parse_args(argv)

    jpeg = encode(fit(skimage.data.astronaut())[0], ".jpg", quality=85)
    print(f"detector {args.detector}, frame 640x480 JPEG {len(jpeg)} bytes, {args.seconds:.0f} s per variant")
    print(f"{'inference':<12} {'client B round trip ms':>24} {'B lost':>6} {'/healthz ms':>24} {'A frames':>9} {'frame ms':>9}")
    print(f"{'':<12} {'median     p90     max':>24} {'':>6} {'median     p90     max':>24}")
    for variant, command in (("thread pool", [sys.executable, "-m", "server"]), ("on the loop", [sys.executable, "-c", INLINE])):
        server = LiveServer(command, {"FER_DETECTOR": args.detector})
        try:
            server.wait()
            round_trips, timeouts, health, frame_ms = measure(server, jpeg, args.seconds)
        finally:
            server.stop()
        print(f"{variant:<12} {stats(round_trips):>24} {timeouts:>6} {stats(health):>24} {len(frame_ms):>9} "
              f"{statistics.median(frame_ms) if frame_ms else float('nan'):>9.1f}", flush=True)


if __name__ == "__main__":
    main()

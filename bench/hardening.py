"""Replays the hostile inputs of bench.attacks against a live `python -m server` on loopback.

    .venv/bin/python -m bench.hardening [--detector blazeface] [--repeats 3] [--only slowloris]

The attacks come from 127.0.0.1; /healthz is asked from 127.0.0.2, another client (the server
limits the connections one address holds, as nginx in front does). For each attack: what the
attacker got back (status or event code), how long until then (median of --repeats; for the
slowloris, how long a new connection's /healthz took once the attacker's connections were open,
and its answer says how many the server held, how long opening them took and the slowest new
client meanwhile), the
server's extra memory (peak RSS sampled every 5 ms, minus the RSS before the attack; the largest
of the repeats), and /healthz latency measured by a separate process polling every 20 ms throughout
(median, p90 and max). The first row, no attack at all, shows what the machine alone does to
/healthz: on a shared machine its max is the floor under every other row's. Targets: a 4xx or an
error event within 1 s, at most 100 MB extra, /healthz under 50 ms.
"""
import argparse
import concurrent.futures
import http.client
import multiprocessing
import socket
import statistics
import sys
import threading
import time

import requests
import skimage.data
import websocket

from bench import attacks
from tests.support.images import encode
from tests.support.live_server import LiveServer

MB = 1024 * 1024


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


# The attacks come from 127.0.0.1; the clients who should not notice them, from another address
# (the server limits connections per address, FER_MAX_CONNECTIONS_PER_ADDRESS, as nginx does).
OTHER_CLIENT = "127.0.0.2"


def other_client_healthz(port, connection=None) -> float:
    """GET /healthz from OTHER_CLIENT, on `connection` (kept alive) or a new one: latency in ms,
    10,000 if unanswered or not 200."""
    start = time.perf_counter()
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(OTHER_CLIENT, 0))
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        ok = response.status == 200
    except OSError:
        conn.close()
        ok = False
    finally:
        if connection is None:
            conn.close()
    return (time.perf_counter() - start) * 1000 if ok else 10_000.0


def ping_forever(port, out):
    """In its own process (so the attacker's Python does not delay it): /healthz every 20 ms from
    another address than the attacker's, on one kept-alive connection, sending (wall time,
    latency ms) to `out`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(OTHER_CLIENT, 0))
    while True:
        latency = other_client_healthz(port, connection)
        out.put((time.time(), latency))
        time.sleep(0.02)


class Watch:
    """Samples the server's RSS every 5 ms while an attack runs, and collects the pinger's /healthz
    latencies from the same window."""

    def __init__(self, server, pings):
        self.server, self.queue, self.stop = server, pings, threading.Event()
        self.base = rss_mb(server.process.pid)
        self.peak, self.pings = self.base, []
        self.thread = threading.Thread(target=self._memory)

    def _memory(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mb(self.server.process.pid))
            time.sleep(0.005)

    def __enter__(self):
        while not self.queue.empty():
            self.queue.get()
        self.thread.start()
        time.sleep(0.1)
        self.start = time.time()
        return self

    def __exit__(self, *exc):
        time.sleep(0.1)
        end = time.time()
        self.stop.set()
        self.thread.join()
        time.sleep(0.05)
        while not self.queue.empty():
            at, latency = self.queue.get()
            if self.start <= at <= end + 10:  # a ping sent in the window may come back after it
                self.pings.append(latency)


def rest(server, data, path="/api/predict?detect=false", headers=None, copies=1):
    """POST `copies` at once; returns the first one's 'status code' (all must agree)."""
    def post(_):
        r = requests.post(server.url + path, data=data, headers=headers or {}, timeout=60)
        return f"{r.status_code} {r.json().get('code', '')}".strip()
    with concurrent.futures.ThreadPoolExecutor(copies) as pool:
        answers = set(pool.map(post, range(copies)))
    return " / ".join(sorted(answers))


def host(server):
    r = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                     headers={"Host": "evil.test", "Origin": "http://evil.test"}, timeout=10)
    return f"{r.status_code} {r.json()['code']}"


def socket_messages(server, messages, expect_event=True):
    """Send raw Socket.IO messages on one connection; the answer is the first event (or the close)."""
    raw = attacks.RawStream(server.url, timeout=30)
    try:
        for message in messages:
            (raw.ws.send_binary if isinstance(message, bytes) else raw.ws.send)(message)
        name, payload = raw.event()
        return f"{name} {payload.get('code', '')}"
    except (websocket.WebSocketException, OSError) as closed:
        return f"closed ({type(closed).__name__})"
    finally:
        raw.close()


def text_frames(server, count=10, megabytes=3):
    raw = attacks.RawStream(server.url, timeout=30)
    frame = attacks.json_text_frame(megabytes)
    try:
        for _ in range(count):
            raw.ws.send(frame)
        codes = {raw.event()[1]["code"] for _ in range(count)}
        return "error " + "/".join(sorted(codes))
    finally:
        raw.close()


def fragments(server, count=20, megabytes=3):
    raw = attacks.RawStream(server.url, timeout=30)
    try:
        first = b"4" + b"\0" * (megabytes * MB)  # Engine.IO's message type, then the bytes
        raw.ws.send_frame(websocket.ABNF.create_frame(first, websocket.ABNF.OPCODE_BINARY, fin=0))
        for _ in range(count - 1):
            raw.ws.send_frame(websocket.ABNF.create_frame(b"\0" * (megabytes * MB), websocket.ABNF.OPCODE_CONT, fin=0))
        raw.next_packet()
        return "not closed"
    except (websocket.WebSocketException, OSError):
        return "closed 1009"
    finally:
        raw.close()


def slowloris(server, count=1100, hold_s=3.0):
    """`count` half-sent requests held for `hold_s`. The answer: how long opening them took, and the
    slowest /healthz of a new client (a new connection every 20 ms) while they were being opened;
    the time: how long /healthz took on a new connection once all were held."""
    held, fresh, opening = [], [], threading.Event()

    def new_clients():
        while opening.is_set():
            fresh.append(other_client_healthz(server.port))
            time.sleep(0.02)

    prober = threading.Thread(target=new_clients)
    try:
        opening.set()
        prober.start()
        started = time.perf_counter()
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
            except OSError:  # refused already: over the limit per address
                pass
            held.append(s)
        opened_s = time.perf_counter() - started
        opening.clear()
        prober.join()
        answered = other_client_healthz(server.port)
        time.sleep(hold_s)
        kept = sum(1 for s in held if still_open(s))
        return (f"{kept} of {len(held)} held, opened in {opened_s:.1f} s, new /healthz max {max(fresh):.0f} ms"
                f"{'' if answered < 10_000 else ', /healthz failed'}"), answered
    finally:
        opening.clear()
        if prober.is_alive():
            prober.join()
        for s in held:
            s.close()


def still_open(sock) -> bool:
    """Whether the server still holds this connection (nothing to read yet, no reset, no end of file)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def no_attack(server, seconds=3.0):
    """Nothing for `seconds`: the /healthz figures of an idle server, i.e. what the machine alone costs."""
    time.sleep(seconds)
    return "-"


def cases(jpeg):
    strip, bomb, text_bomb = attacks.strip_png(), attacks.scan_bomb(), attacks.png_text_bomb()
    return [
        ("no attack, 3 s (the machine's own noise)", no_attack),
        ("detect=false 10000x1 PNG (91 B), 2 at once", lambda s: rest(s, strip, copies=2)),
        ("detect=false 4096x205 PNG, 2 at once", lambda s: rest(s, attacks.strip_png(4096, 205), copies=2)),
        ("1,100 half-sent requests (slowloris)", slowloris),
        (f"progressive JPEG scan bomb ({len(bomb) // 1024} kB), 4 at once", lambda s: rest(s, bomb, copies=4)),
        ("ten 3 MB JSON text frames", text_frames),
        ("20 x 3 MB fragments of one message", fragments),
        ("binary event announcing 1,000 attachments", lambda s: socket_messages(s, [attacks.announcing_attachments()])),
        ("placeholder past its attachments",
         lambda s: socket_messages(s, [attacks.placeholder_past_attachments(), jpeg])),
        *[(name, lambda s, d=data: rest(s, d)) for name, data in attacks.malformed_images()[:5]],
        ("PNG zTXt bomb as a socket frame", lambda s: socket_messages(
            s, ['451-/stream,["frame",{"id":1,"image":{"_placeholder":true,"num":0}}]', text_bomb])),
        ("Host: evil.test (DNS rebinding)", host),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--detector", default="blazeface")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", default=[], metavar="WORDS",
                        help="run only the attacks whose name contains WORDS (repeatable)")
    args = parser.parse_args()
    jpeg = encode(skimage.data.astronaut())
    server = LiveServer([sys.executable, "-m", "server"], {"FER_DETECTOR": args.detector}).wait()
    ping_queue = multiprocessing.get_context("spawn").Queue()
    spawn = multiprocessing.get_context("spawn")
    pinger = spawn.Process(target=ping_forever, args=(server.port, ping_queue), daemon=True)
    pinger.start()
    try:
        requests.post(server.url + "/api/predict", data=jpeg, timeout=60).raise_for_status()  # warm up
        print(f"python -m server, detector {args.detector}, {args.repeats} repeats; "
              f"idle RSS {rss_mb(server.process.pid):.0f} MB")
        print(f"{'attack':48} {'answer':34} {'time ms':>8} {'+MB':>6} {'healthz med/p90/max ms':>23}")
        for name, attack in cases(jpeg):
            if args.only and not any(words.lower() in name.lower() for words in args.only):
                continue
            times, extra, pings, answers = [], [], [], set()
            for _ in range(args.repeats):
                with Watch(server, ping_queue) as watch:
                    start = time.perf_counter()
                    answer = attack(server)
                    answer, ms = answer if isinstance(answer, tuple) else (answer, (time.perf_counter() - start) * 1000)
                    answers.add(answer)
                    times.append(ms)
                extra.append(watch.peak - watch.base)
                pings += watch.pings
            print(f"{name:48} {' | '.join(sorted(answers)):34} {statistics.median(times):8.0f} {max(extra):6.0f} "
                  f"{statistics.median(pings):9.1f}/{statistics.quantiles(pings, n=10, method='inclusive')[-1]:.0f}/{max(pings):.0f}",
                  flush=True)
        health = requests.get(server.url + "/healthz", timeout=5).status_code
        print(f"final RSS {rss_mb(server.process.pid):.0f} MB; /healthz {health}")
    finally:
        pinger.terminate()
        server.stop()


if __name__ == "__main__":
    main()

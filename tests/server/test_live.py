"""Against live servers on loopback, with a real python-socketio client and real images.

`live` is the Procfile's gunicorn + eventlet worker with the default detector; `live_haar` is
`python -m server` with FER_DETECTOR=haar. Both are the production event loop (eventlet).
"""
import statistics
import sys
import threading
import time

import cv2
import pytest
import requests
import socketio

from tests.server.bad_frames import bad_frames
from tests.support.face_frames import iou
from tests.support.images import encode
from tests.support.scenes import ASTRONAUT_FACE

TIMEOUT = 30


def connect(server, **kwargs):
    client = socketio.SimpleClient()
    client.connect(server.url, namespace="/stream", transports=["websocket"], wait_timeout=10, **kwargs)
    return client


def receive(client):
    event, *args = client.receive(timeout=TIMEOUT)
    return event, args[0] if args else None


def serve_one(client, frame_id, image):
    """Send one frame and wait for its answer."""
    client.emit("frame", {"id": frame_id, "image": image})
    return receive(client)


def test_page_and_health_under_eventlet(live, live_haar):
    for server, detector in ((live, "blazeface"), (live_haar, "haar")):
        health = requests.get(server.url + "/healthz", timeout=5).json()
        assert (health["async_mode"], health["detector"]) == ("eventlet", detector)
    page = requests.get(live.url + "/", timeout=5)
    assert page.status_code == 200 and "wasm-unsafe-eval" in page.headers["Content-Security-Policy"]
    assert f"ws://127.0.0.1:{live.port}" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("which", ["live", "live_haar"])
def test_box_lands_on_the_face(request, which, astronaut_jpeg):
    client = connect(request.getfixturevalue(which))
    try:
        event, result = serve_one(client, 1, astronaut_jpeg)
    finally:
        client.disconnect()
    assert event == "result" and result["id"] == 1, (event, result)
    boxes = [f["box"] for f in result["faces"]]
    assert len(boxes) == 1 and iou(boxes[0], ASTRONAUT_FACE) > 0.5, f"expected a box near {ASTRONAUT_FACE}, got {boxes}"
    print(f"\n{which}: timings {result['timings']}")


@pytest.mark.real_model
def test_live_astronaut_is_happy(live, astronaut_jpeg):
    """REAL MODEL: the smiling astronaut is labelled happy."""
    client = connect(live)
    try:
        _, result = serve_one(client, "a", astronaut_jpeg)
    finally:
        client.disconnect()
    face = result["faces"][0]
    assert face["label"] == "happy", f"expected 'happy', got {face['label']} ({face['probabilities']})"


def test_every_bad_input_gets_its_error_and_the_next_frame_is_served(live, astronaut_jpeg):
    client = connect(live)
    try:
        for case, payload, code, frame_id in bad_frames(astronaut_jpeg):
            client.emit("frame", payload)
            event, error = receive(client)
            assert (event, error["code"]) == ("error", code), f"{case}: expected error {code}, got {event} {error}"
            assert error.get("id") == frame_id and error["message"], f"{case}: got {error}"
            event, result = serve_one(client, f"after {case}", astronaut_jpeg)
            assert event == "result" and result["id"] == f"after {case}" and len(result["faces"]) == 1, \
                f"after {case}: expected the next frame served, got {event} {result}"
    finally:
        client.disconnect()
    assert requests.get(live.url + "/healthz", timeout=5).ok


def test_flood_keeps_the_newest_frame_and_drops_stale_ones(live, astronaut_jpeg):
    client = connect(live)
    n = 40
    try:
        for i in range(n):
            client.emit("frame", {"id": i, "image": astronaut_jpeg})
        results = []
        while not results or results[-1]["id"] != n - 1:
            event, result = receive(client)
            assert event == "result", (event, result)
            results.append(result)
        # the newest frame is still served after the flood, and the connection keeps working
        event, after = serve_one(client, "after flood", astronaut_jpeg)
    finally:
        client.disconnect()
    ids = [r["id"] for r in results]
    assert ids == sorted(ids) and ids[0] == 0, f"expected increasing ids from 0, got {ids}"
    assert len(results) < n / 2, f"expected most of {n} flooded frames dropped, got {len(results)} results"
    assert sum(r["dropped"] for r in results) + len(results) == n, f"expected every frame served or counted dropped: {ids}"
    assert event == "result" and after["id"] == "after flood" and after["dropped"] == 0
    print(f"\nflood of {n}: served {ids}")


def test_inference_does_not_stall_the_event_loop(live_haar, astronaut):
    """While one client floods 640x480 frames at the slow Haar server, /healthz answers quickly:
    the detection runs in eventlet's thread pool, not on the loop."""
    frame = encode(cv2.resize(astronaut, (640, 480)))

    def ping():
        start = time.perf_counter()
        requests.get(live_haar.url + "/healthz", timeout=10).raise_for_status()
        return time.perf_counter() - start

    idle = [ping() for _ in range(10)]
    flooder = connect(live_haar)
    results, stop = [], threading.Event()

    def flood():
        i = 0
        while not stop.is_set():
            flooder.emit("frame", {"id": i, "image": frame})
            i += 1
            time.sleep(0.01)

    def collect():
        while not stop.is_set():
            try:
                event, result = receive(flooder)
            except socketio.exceptions.TimeoutError:
                return
            results.append(result)

    threads = [threading.Thread(target=flood), threading.Thread(target=collect)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        busy = []
        start = time.perf_counter()
        # at least 3 s and 3 frames served; a loaded machine may need longer for 3 Haar frames
        while time.perf_counter() - start < 3 or (len(results) < 3 and time.perf_counter() - start < TIMEOUT):
            busy.append(ping())
            time.sleep(0.02)
    finally:
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
        flooder.disconnect()
    frame_ms = statistics.median(r["timings"]["total"] for r in results if "timings" in r)
    busy_ms = sorted(b * 1000 for b in busy)
    print(f"\n/healthz idle median {statistics.median(idle) * 1000:.1f} ms; while flooding: median "
          f"{statistics.median(busy_ms):.1f} ms, p90 {busy_ms[int(len(busy_ms) * 0.9)]:.1f} ms, max {busy_ms[-1]:.1f} ms "
          f"({len(busy_ms)} pings); frames served {len(results)}, median frame {frame_ms:.1f} ms")
    assert len(results) >= 3, f"expected frames served during the flood, got {len(results)}"
    # A stalled loop would hold pings for up to a whole frame; they must wait far less than that.
    assert statistics.median(busy_ms) < frame_ms / 2, f"pings waited {statistics.median(busy_ms):.1f} ms, frames take {frame_ms:.1f} ms"


def test_rest_against_the_live_server(live, astronaut_jpeg):
    ok = requests.post(live.url + "/api/predict", files={"image": ("a.jpg", astronaut_jpeg, "image/jpeg")}, timeout=TIMEOUT)
    assert ok.status_code == 200 and iou(ok.json()["faces"][0]["box"], ASTRONAUT_FACE) > 0.5
    too_big = requests.post(live.url + "/api/predict", data=b"\0" * (3 * 1024 * 1024), timeout=TIMEOUT)
    assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"
    not_image = requests.post(live.url + "/api/predict", data=b"plain text", timeout=TIMEOUT)
    assert not_image.status_code == 415 and "JPEG, PNG or WebP" in not_image.json()["error"]
    labels = requests.get(live.url + "/api/model", timeout=5).json()["labels"]
    assert list(ok.json()["faces"][0]["probabilities"]) == labels


def test_socket_refuses_foreign_origins(live):
    """The Engine.IO handshake, as a browser on another site would send it, is refused."""
    def handshake(origin):
        return requests.get(live.url + "/socket.io/", params={"EIO": 4, "transport": "polling"},
                            headers={"Origin": origin}, timeout=5)
    foreign = handshake("http://evil.test")
    assert foreign.status_code == 400, f"expected 400 for a foreign origin, got {foreign.status_code}"
    same = handshake(live.url)
    assert same.status_code == 200 and same.headers["Access-Control-Allow-Origin"] == live.url


def test_https_with_a_self_signed_certificate(tmp_path):
    """FER_CERTFILE/FER_KEYFILE serve the page over HTTPS, which cameras need off localhost."""
    import shutil
    import subprocess

    from tests.support.live_server import LiveServer

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = LiveServer([sys.executable, "-m", "server"],
                        {"FER_DETECTOR": "haar", "FER_CERTFILE": str(cert), "FER_KEYFILE": str(key)}, scheme="https")
    try:
        server.wait()
        page = requests.get(server.url + "/", verify=str(cert), timeout=10)
        assert page.status_code == 200 and "Content-Security-Policy" in page.headers
        with pytest.raises(requests.ConnectionError):  # plain HTTP is not served on the TLS port
            requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
    finally:
        server.stop()

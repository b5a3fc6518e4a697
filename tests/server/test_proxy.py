"""nginx on loopback (deploy/nginx.conf, run by deploy.cluster) in front of two `python -m server`
processes, with real Socket.IO clients through it. Skipped where nginx is not installed
(`make test` installs it)."""
import os
import queue
import signal
import time

import pytest
import requests
import socketio

from deploy.cluster import Cluster, find_nginx
from tests.support.live_server import free_port

TIMEOUT = 30
pytestmark = pytest.mark.skipif(find_nginx() is None, reason="nginx is not installed (apt-get install nginx)")


@pytest.fixture(scope="module")
def cluster():
    with Cluster(port=free_port(), backend_ports=[free_port(), free_port()], host="127.0.0.1") as running:
        yield running


class StreamClient:
    """A reconnecting Socket.IO client on /stream that names itself (?client=) as the page does."""

    def __init__(self, url, name, transports):
        self.events = queue.Queue()
        self.disconnects = 0
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("result", lambda data: self.events.put(("result", data)), namespace="/stream")
        self.sio.on("error", lambda data: self.events.put(("error", data)), namespace="/stream")
        self.sio.on("disconnect", self._disconnected, namespace="/stream")
        self.sio.connect(f"{url}?client={name}", namespaces=["/stream"], transports=transports, wait_timeout=10)

    def _disconnected(self, *reason):
        self.disconnects += 1

    def serve(self, frame_id, image, deadline_s=TIMEOUT):
        """Send the frame until it is answered (a frame sent into a dying connection is lost with it)."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                self.sio.emit("frame", {"id": frame_id, "image": image}, namespace="/stream")
                event, data = self.events.get(timeout=2)
                if data.get("id") == frame_id:
                    return event, data
            except (queue.Empty, socketio.exceptions.BadNamespaceError):
                time.sleep(0.1)
        raise AssertionError(f"frame {frame_id!r} got no answer within {deadline_s} s")

    def close(self):
        self.sio.disconnect()


def test_the_page_comes_through_the_proxy(cluster):
    page = requests.get(cluster.url + "/", timeout=10)
    assert page.status_code == 200 and f"ws://127.0.0.1:{cluster.port}" in page.headers["Content-Security-Policy"]
    assert requests.get(cluster.url + "/healthz", headers={"Host": "evil.test"}, timeout=5).status_code == 421


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_clients_are_served_through_the_proxy(cluster, astronaut_jpeg, transport):
    """Long-polling sends every poll as a new request: without sticky sessions, some reach the
    other process and fail with 'Invalid session'."""
    clients = [StreamClient(cluster.url, f"{transport}-{i}", [transport]) for i in range(6)]
    try:
        for round_ in range(3):
            for i, client in enumerate(clients):
                event, result = client.serve(f"{i}-{round_}", astronaut_jpeg)
                assert event == "result" and len(result["faces"]) == 1, (event, result)
        assert all(c.disconnects == 0 for c in clients)
    finally:
        for client in clients:
            client.close()


def test_kill_9_of_one_process_moves_its_clients_to_the_other(cluster, astronaut_jpeg):
    # 16 named clients: all on one process by chance once in 30,000 runs (nginx's consistent hash)
    clients = [StreamClient(cluster.url, f"killed-{i}", ["websocket"]) for i in range(16)]
    victim = cluster.backend_ports[0]
    try:
        for i, client in enumerate(clients):
            assert client.serve(f"before {i}", astronaut_jpeg)[0] == "result"
        os.kill(cluster.backends[victim].pid, signal.SIGKILL)
        cluster.backends[victim].wait(10)
        for i, client in enumerate(clients):
            event, result = client.serve(f"after {i}", astronaut_jpeg)
            assert event == "result", (event, result)
        moved = sum(c.disconnects > 0 for c in clients)
        assert 0 < moved < len(clients), f"expected the clients spread over both processes, {moved} of 16 moved"
    finally:
        for client in clients:
            client.close()
        cluster.restart(victim)
        cluster.wait()


@pytest.mark.browser
def test_the_page_analyses_through_the_proxy_over_websocket(cluster, astronaut_jpeg, playwright_instance):
    """The page's own socket.js, in Chromium, through nginx: a result for a photo, and no
    long-polling request on the way (WebSocket first)."""
    import base64
    from pathlib import Path

    from tests.support.chromium import BASE_ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (make browser installs Debian's)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=BASE_ARGS)
    try:
        page = browser.new_page()
        polls = []
        page.on("request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None)
        page.goto(cluster.url + "/")
        result = page.evaluate("""async (src) => {
          const { createServerEngine } = await import('/static/js/socket.js');
          const engine = await createServerEngine({ timeoutMs: 20000 });
          const img = new Image();
          img.src = src;
          await img.decode();
          const result = await engine.analyse(img);
          engine.dispose();
          return result;
        }""", "data:image/jpeg;base64," + base64.b64encode(astronaut_jpeg).decode())
    finally:
        browser.close()
    assert len(result["faces"]) == 1 and result["width"] == 512, result
    assert polls == [], f"expected a WebSocket only, got long-polling requests {polls[:3]}"

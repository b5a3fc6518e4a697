"""SIGTERM drains, under `python -m server` and under the Procfile's gunicorn: the frames and the
uploads (/api/analyze included) that the server has taken are answered before the process exits
with 0, and new work is refused with `shutting_down` (reconnect) or finds the port closed; an
analysis that cannot finish within the grace period is answered with a 503 rather than cut."""
import signal
import sys
import threading
import time

import cv2
import pytest
import requests
import socketio

from tests.support.images import encode
from tests.support.live_server import LiveServer, procfile_command

TIMEOUT = 60
SERVERS = ["python -m server", "gunicorn"]


def start(kind, grace_s=None):
    """A server with the Haar detector (slow on big frames, so work can be caught in flight)."""
    env = {"FER_DETECTOR": "haar"}
    if kind == "gunicorn":
        command = procfile_command()
        if grace_s:
            env["GUNICORN_CMD_ARGS"] = f"--graceful-timeout {grace_s}"
    else:
        command = [sys.executable, "-m", "server"]
        if grace_s:
            env["FER_DRAIN_TIMEOUT_S"] = str(grace_s)
    return LiveServer(command, env).wait()


def video(astronaut, path, frames):
    """An MPEG-4 clip of `frames` 640x480 frames (small: they are all the same picture)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 480))
    frame = cv2.cvtColor(cv2.resize(astronaut, (640, 480)), cv2.COLOR_RGB2BGR)
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def in_flight(server):
    return requests.get(server.url + "/healthz", timeout=5).json()["in_flight"]


def wait_for_in_flight(server, count, timeout=10):
    deadline = time.monotonic() + timeout
    while in_flight(server) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def post_in_background(url, data):
    """POST in a thread; returns (thread, answer dict that gets "status", "json", "at")."""
    answer = {}

    def post():
        try:
            response = requests.post(url, data=data, timeout=TIMEOUT)
            answer.update(status=response.status_code, json=response.json(), at=time.monotonic())
        except requests.RequestException as error:
            answer.update(error=error)
    thread = threading.Thread(target=post)
    thread.start()
    return thread, answer


def refused_or_503(server, data):
    """A new REST request after SIGTERM: the port is closed, or the answer is a 503 `shutting_down`."""
    try:
        response = requests.post(server.url + "/api/predict", data=data, timeout=TIMEOUT)
    except requests.ConnectionError:
        return True
    return response.status_code == 503 and response.json()["code"] == "shutting_down"


@pytest.mark.parametrize("kind", SERVERS)
def test_sigterm_answers_frames_and_an_analysis_in_flight_and_refuses_new_work(kind, astronaut, tmp_path):
    clip = video(astronaut, tmp_path / "clip.mp4", frames=8)
    slow_frame = encode(cv2.resize(astronaut, (1600, 1200)))  # a slow Haar frame
    server = start(kind)
    client = socketio.SimpleClient()
    try:
        client.connect(server.url, namespace="/stream", transports=["websocket"], wait_timeout=10)
        client.emit("frame", {"id": "taken", "image": slow_frame})
        analysis, answer = post_in_background(server.url + "/api/analyze", clip)
        if not wait_for_in_flight(server, 2):
            pytest.skip("never caught the frame and the analysis in flight together")
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # gunicorn's master passes the signal on to its worker
        client.emit("frame", {"id": "late", "image": slow_frame})
        events = {}
        while len(events) < 2:
            name, payload = client.receive(timeout=TIMEOUT)
            events[payload["id"]] = (name, payload)
        assert events["taken"][0] == "result", events["taken"]
        assert events["late"][0] == "error" and events["late"][1]["code"] == "shutting_down", events["late"]
        assert events["late"][1]["status"] == 503 and "reconnect" in events["late"][1]["message"]
        assert refused_or_503(server, slow_frame)
        analysis.join(TIMEOUT)
        assert answer.get("status") == 200, answer
        assert len(answer["json"]["rows"]) >= 8, answer["json"]  # every frame analysed, none cut
        assert server.process.wait(TIMEOUT) == 0, server.output()[-2000:]
    finally:
        client.disconnect()
        server.stop()


@pytest.mark.parametrize("kind", SERVERS)
def test_an_analysis_that_cannot_finish_within_the_grace_period_gets_a_503(kind, astronaut, tmp_path):
    """Grace 5 s (gunicorn) or a 3 s drain: work still running 2 s before the drain's end is
    answered with a 503 `shutting_down` instead of being cut when the process exits."""
    clip = video(astronaut, tmp_path / "long.mp4", frames=300)  # seconds of Haar, even on a fast machine
    server = start(kind, grace_s=5 if kind == "gunicorn" else 3)
    try:
        analysis, answer = post_in_background(server.url + "/api/analyze", clip)
        assert wait_for_in_flight(server, 1), "expected the analysis to be in flight"
        time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        analysis.join(TIMEOUT)
        assert answer.get("status") == 503 and answer["json"]["code"] == "shutting_down", answer
        assert "send it again" in answer["json"]["error"]
        assert answer["at"] - signalled < 5, "expected the 503 before the grace period ran out"
        assert server.process.wait(TIMEOUT) == 0, server.output()[-2000:]
        assert time.monotonic() - signalled < 8
    finally:
        server.stop()

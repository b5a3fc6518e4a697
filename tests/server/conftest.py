"""Fixtures for the server tests: real images, fresh apps built from config, and live servers.

The live servers are the real thing: the Procfile's gunicorn + eventlet command (default detector)
and `python -m server` (Haar), each started once per session on a free loopback port.
"""
import io
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
import skimage.data

ROOT = Path(__file__).resolve().parents[2]
ASTRONAUT_FACE = (176, 72, 96, 100)  # hand-annotated, brow to chin, in the 512x512 photo
START_TIMEOUT_S = 90


def encode(rgb, ext=".jpg", **params):
    """RGB array -> encoded image bytes (in memory only)."""
    flags = [cv2.IMWRITE_JPEG_QUALITY, params["quality"]] if "quality" in params else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), flags)
    assert ok, f"OpenCV could not encode {ext}"
    return buf.tobytes()


@pytest.fixture(scope="session")
def astronaut():
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def astronaut_jpeg(astronaut):
    return encode(astronaut, ".jpg", quality=90)


@pytest.fixture(scope="session")
def fer_split(fer2013):
    """FER2013 PrivateTest, from the suite-wide `fer2013` fixture (skips when the CSV is absent)."""
    return fer2013["PrivateTest"]


@pytest.fixture(scope="session")
def make_app():
    """create_app(config) in threading mode, cached per config (loading models costs a second)."""
    from server import create_app
    cache = {}

    def make(**config):
        key = tuple(sorted(config.items()))
        if key not in cache:
            cache[key] = create_app({"ASYNC_MODE": "threading", **config})
        return cache[key]
    return make


@pytest.fixture()
def client(make_app):
    return make_app().test_client()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A server subprocess on loopback; its log goes to a temp file, read on failure."""

    def __init__(self, command, env, scheme="http"):
        self.port = free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "PORT": str(self.port), "FER_HOST": "127.0.0.1",
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait(self):
        if getattr(self, "ready", False):
            return self
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=1, verify=False).ok:  # self-signed in tests
                    self.ready = True
                    return self
            except requests.RequestException:  # not listening yet, or still busy starting
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"expected the server to answer /healthz within {START_TIMEOUT_S} s, "
                           f"got exit code {self.process.returncode}; log:\n{self.output()[-3000:]}")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def procfile_command():
    """The Procfile's web command, run through bash like a platform would."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    return ["bash", "-c", "exec " + line.split(":", 1)[1].strip()]


@pytest.fixture(scope="session")
def live_servers():
    """Both live servers, started together (not yet waited for) so that their start-ups overlap
    with each other and with whatever the first test using them loads."""
    servers = {
        "gunicorn": LiveServer(procfile_command(), {}),
        "haar": LiveServer([sys.executable, "-m", "server"], {"FER_DETECTOR": "haar"}),
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def live(live_servers):
    """The Procfile server: gunicorn, eventlet worker, default detector."""
    return live_servers["gunicorn"].wait()


@pytest.fixture(scope="session")
def live_haar(live_servers):
    """`python -m server` with FER_DETECTOR=haar."""
    return live_servers["haar"].wait()

"""A server started the way users and platforms start it, on a free loopback port.

The tests (tests/server, tests/browser) and the stream and browser benches share it, so what is
measured is what is tested: the Procfile's gunicorn + eventlet command, or `python -m server`.
"""
import os
import subprocess
import socket
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A server subprocess on loopback; its log goes to a temp file, read on failure."""

    def __init__(self, command, env, scheme="http", port=None):
        """`port`: a given one (to restart a server where its clients expect it), else a free one."""
        self.port = port or free_port()
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

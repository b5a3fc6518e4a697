"""N `python -m server` processes on loopback behind nginx (deploy/nginx.conf), on one machine.

    .venv/bin/python -m deploy.cluster [--processes 2] [--port 8080] [--first-backend-port 5001]

Each process is a whole server (its own models, its own event loop); nginx spreads clients over
them, keeps each with its process, and upgrades /socket.io/ to WebSocket. Several machines: run
the processes on each (FER_HOST set to an address nginx can reach) and list them all in the
upstream. The FER_* variables of this command's environment reach every process.
Ctrl-C or SIGTERM stops nginx, then drains and stops every process.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from server.config import DEFAULTS, ROOT

CONF = Path(__file__).with_name("nginx.conf")
START_TIMEOUT_S = 120


def find_nginx():
    """Debian's nginx lives in /usr/sbin, which is not on every user's PATH."""
    candidates = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
    return shutil.which("nginx") or next((p for p in candidates if os.access(p, os.X_OK)), None)


def render(port, backend_ports, host=None, conf=None) -> str:
    """nginx.conf with its listen address and its upstream's servers replaced."""
    text = (conf or CONF.read_text())
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in backend_ports)
    text = re.sub(r"(# backends\n).*?(\s*# end backends)", lambda m: m.group(1) + servers.rstrip("\n") + m.group(2),
                  text, flags=re.S)
    return re.sub(r"listen \d+;", f"listen {host}:{port};" if host else f"listen {port};", text)


def healthy(url, timeout=1.0) -> bool:
    try:
        with urlopen(url + "/healthz", timeout=timeout) as response:
            return response.status == 200
    except (URLError, OSError):
        return False


class Cluster:
    """The backends and nginx as subprocesses; logs in a temporary folder."""

    def __init__(self, processes=2, port=8080, first_backend_port=5001, env=None, host=None, backend_ports=None):
        """`host`: the address nginx listens on (every interface if None); `backend_ports`: given
        ports instead of `processes` consecutive ones from `first_backend_port`."""
        nginx = find_nginx()
        if nginx is None:
            raise FileNotFoundError("nginx is not installed: apt-get install nginx (make nginx)")
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.backend_ports = list(backend_ports or [first_backend_port + i for i in range(processes)])
        self.dir = Path(tempfile.mkdtemp(prefix="fer-cluster-"))
        # Every connection a process gets comes from nginx, which limits each client address itself.
        self.env = {**os.environ, "FER_HOST": "127.0.0.1", "FER_MAX_CONNECTIONS_PER_ADDRESS":
                    os.environ.get("FER_MAX_CONNECTIONS", str(DEFAULTS["MAX_CONNECTIONS"])), **(env or {})}
        self.backends = {p: self._start_backend(p) for p in self.backend_ports}
        conf = self.dir / "nginx.conf"
        conf.write_text(render(port, self.backend_ports, host))
        self.nginx = subprocess.Popen([nginx, "-p", str(self.dir) + "/", "-c", str(conf), "-g", "daemon off;"],
                                      stdout=self._log("nginx"), stderr=subprocess.STDOUT, start_new_session=True)

    def _log(self, name):
        return open(self.dir / f"{name}.log", "ab")

    def _start_backend(self, port):
        return subprocess.Popen([sys.executable, "-m", "server"], cwd=ROOT, env={**self.env, "PORT": str(port)},
                                stdout=self._log(f"server-{port}"), stderr=subprocess.STDOUT, start_new_session=True)

    def backend_url(self, port):
        return f"http://127.0.0.1:{port}"

    def wait(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = [self.backend_url(p) for p in self.backend_ports] + [self.url]
        while waiting and time.monotonic() < deadline:
            if any(p.poll() is not None for p in [*self.backends.values(), self.nginx]):
                break
            # the backends first: asked before they listen, nginx would log every refused try
            waiting = [u for u in waiting if not (u != self.url or len(waiting) == 1) or not healthy(u)]
            time.sleep(0.3)
        if waiting:
            self.stop()
            raise RuntimeError(f"expected {waiting} to answer /healthz within {START_TIMEOUT_S} s; "
                               f"logs:\n{self.logs()}")
        return self

    def restart(self, port):
        """Start the process on `port` again (after it was killed)."""
        self.backends[port] = self._start_backend(port)

    def logs(self):
        return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-2000:]}"
                         for f in sorted(self.dir.glob("*.log")))

    def stop(self):
        for process in [self.nginx, *self.backends.values()]:
            if process.poll() is None:
                process.terminate()  # nginx: fast shutdown; servers: drain, then exit
        for process in [self.nginx, *self.backends.values()]:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.wait()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--first-backend-port", type=int, default=5001)
    args = parser.parse_args()
    cluster = Cluster(args.processes, args.port, args.first_backend_port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        cluster.wait()
        print(f"serving on {cluster.url} with {args.processes} processes on ports {cluster.backend_ports}", flush=True)
        while all(p.poll() is None for p in [cluster.nginx, *cluster.backends.values()]):
            time.sleep(1)
        print("a process exited; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

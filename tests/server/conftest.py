"""Fixtures for the server tests: real images, fresh apps built from config, and live servers.

The live servers are the real thing: the Procfile's gunicorn + eventlet command (default detector)
and `python -m server` (Haar), each started once per session on a free loopback port.
"""
import sys

import pytest
import skimage.data

from tests.support.images import encode
from tests.support.live_server import LiveServer, procfile_command


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

"""Fixtures for the real-browser tests: the live server, fake-camera videos, headless Chromium.

The server is the real one (`python -m server`, around `server.create_app()`), started once per session on a free loopback port
with tests.support's LiveServer. Videos for Chromium's fake camera are built here, in a tmp dir, from the
astronaut photo and FER2013 faces. Browsers are Debian's Chromium (never a downloaded one).
"""
import contextlib
import sys
from pathlib import Path

import pytest

from tests.conftest import CROWD_MODEL_DIR, DEFAULT_MODEL_DIR
from tests.support import scenes
from tests.support.chromium import CHROMIUM, fake_camera_args
from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app():
    """`python -m server` (server.create_app(), default detector) on a free loopback port."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (make browser installs Debian's)")
    server = LiveServer([sys.executable, "-m", "server"], {})
    try:
        yield server.wait()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def videos(tmp_path_factory, request):
    """get(name) -> (y4m path, [(expected label, face box)], frame). 'one': the astronaut; 'four': the astronaut
    and three FER2013 PrivateTest faces (happy, surprise, happy) that the shipped model and the crowd model label right on their own crops; skipped without FER2013."""
    folder = tmp_path_factory.mktemp("camera")
    cache = {}

    def get(name):
        if name not in cache:
            if name == "one":
                frame, expected = scenes.one_face_scene()
            elif name == "four":
                # Faces that both models the page may run on them label right (four faces: the crowd model).
                faces = scenes.fer_faces(request.getfixturevalue("fer2013")["PrivateTest"], per_label=40,
                                         model_dir=[DEFAULT_MODEL_DIR, CROWD_MODEL_DIR])
                frame, expected = scenes.four_face_scene(faces)
            else:
                raise ValueError(f"expected a scene name 'one' or 'four', got {name!r}")
            cache[name] = (scenes.write_y4m(folder / f"{name}.y4m", frame), expected, frame)
        return cache[name]
    return get


@pytest.fixture(scope="session")
def chromium(playwright_instance):
    """launch(video=None, camera=True): a headless Chromium with `video` as its fake camera;
    camera=False leaves out the auto-accept flag so a denied permission can be tested."""
    launched = []

    def launch(video=None, camera=True):
        browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                      args=fake_camera_args(video, camera))
        launched.append(browser)
        return browser
    yield launch
    for browser in launched:
        browser.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@contextlib.contextmanager
def cameraless_page(live_app, chromium):
    """The page in in-browser mode with no camera, once TF.js has loaded: for calling its modules."""
    context = chromium(camera=False).new_context(permissions=[])
    page = context.new_page()
    page.goto(f"{live_app.url}/?mode=browser&backend=wasm")
    page.wait_for_function("() => globalThis.tf && document.body.dataset.camera === 'unavailable'", timeout=30000)
    try:
        yield page
    finally:
        context.close()

"""Nothing leaves the device before the person agrees: `auto` mode turns to a lighter model when the
browser is too slow, then proposes server mode and waits for button#allow-server; no Socket.IO
request or WebSocket before that click, and every text on the page says where frames go. Server
mode chosen in the link sends frames and never loads TF.js."""
import sys

import pytest

from tests.browser.page_support import FACES_JS, open_page, server_traffic, wait_frames  # noqa: F401 (fixture)
from tests.conftest import ROOT
from tests.support.live_server import LiveServer


@pytest.fixture(scope="module")
def one_face_browser(chromium, videos):
    return chromium(videos("one")[0])


@pytest.fixture(scope="module")
def wider_model_app(live_app):
    """The server with the wider models/resnet, and resnet_slim as the model `auto` turns to
    (FER_LIGHT_MODEL): the default serves resnet_slim itself and has no lighter one. (live_app:
    skips, as every test here does, where Chromium is missing.)"""
    server = LiveServer([sys.executable, "-m", "server"],
                        {"FER_MODEL_DIR": str(ROOT / "models" / "resnet"), "FER_LIGHT_MODEL": "resnet_slim"})
    try:
        yield server.wait()
    finally:
        server.stop()


def test_auto_mode_asks_before_sending_frames_when_in_browser_cannot_start(live_app, one_face_browser, open_page,
                                                                          artifacts):
    page = open_page(one_face_browser, f"{live_app.url}/?backend=wasm",
                     route=("**/detectors/**", lambda route: route.abort()))
    page.wait_for_selector("#allow-server", state="visible", timeout=60000)
    assert "could not start" in page.inner_text("#consent")
    assert "sent" in page.inner_text("#consent") and "Nothing is sent unless you agree" in page.inner_text("#consent")
    page.screenshot(path=str(artifacts / "page-consent.png"))
    # Waiting for the answer: the page stays off the network's Socket.IO path, however long it waits.
    page.wait_for_timeout(3000)
    assert server_traffic(page) == [], server_traffic(page)
    assert "No frame leaves" in page.inner_text("#privacy")
    assert page.inner_text("#mode-name") != "server"

    page.click("#allow-server")
    page.wait_for_function("() => document.getElementById('mode-name').textContent === 'server'", timeout=30000)
    assert len(wait_frames(page, 2)) == 1
    assert server_traffic(page), "server mode after the click sent nothing"
    assert "sent to this server" in page.inner_text("#privacy")
    assert "sent to this server" in page.inner_text("#upload-box")
    assert page.errors == []


def test_a_slow_browser_gets_the_lighter_model_then_is_offered_the_server_and_keeps_analysing_here_if_declined(
        wider_model_app, one_face_browser, open_page):
    # minFps=120 (the highest the link takes): any machine is "too slow". After the 5 s the page
    # waits, it turns to the server's lighter model (FER_LIGHT_MODEL) in this browser; 5 s later,
    # still too slow, it proposes the server.
    page = open_page(one_face_browser, f"{wider_model_app.url}/?backend=wasm&minFps=120")
    page.wait_for_function("() => document.getElementById('message').textContent.includes('lighter model')",
                           timeout=60000)
    assert "resnet_slim" in page.inner_text("#message") and "still in this browser" in page.inner_text("#message")
    assert "model=resnet_slim" in page.url
    assert any("/models/resnet_slim/" in url and ".bin?v=" in url for url in page.requests), "the slim weights, under their version"
    assert page.is_hidden("#consent") and server_traffic(page) == []
    wait_frames(page, 3)
    page.wait_for_selector("#allow-server", state="visible", timeout=60000)
    assert "below 120" in page.inner_text("#consent")
    wait_frames(page, 3)  # still analysing in this browser while the question is open
    assert server_traffic(page) == []
    page.click("#decline-server")
    assert page.is_hidden("#consent")
    wait_frames(page, 3)
    assert page.inner_text("#mode-name") == "in-browser"
    assert server_traffic(page) == [], "declined, yet the page contacted the Socket.IO endpoint"
    assert page.errors == []


def test_a_model_named_in_the_link_is_kept_when_the_browser_is_slow(wider_model_app, one_face_browser, open_page):
    """The person chose the model: a slow browser is offered the server, not another model."""
    page = open_page(one_face_browser, f"{wider_model_app.url}/?backend=wasm&minFps=120&model=resnet")
    page.wait_for_selector("#allow-server", state="visible", timeout=60000)
    assert "model=resnet" in page.url and "lighter model" not in page.inner_text("#message")
    assert not any("/models/resnet_slim/" in url for url in page.requests)
    assert page.errors == []

def test_server_mode_from_the_link_sends_frames_and_loads_no_tfjs(live_app, one_face_browser, open_page, artifacts):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=server")
    faces = wait_frames(page, 3)
    assert len(faces) == 1 and faces[0]["number"] == 1
    assert "sent to this server" in page.inner_text("#privacy")
    tfjs = [u for u in page.requests if "@tensorflow" in u or "/models/" in u or "/detectors/" in u]
    assert tfjs == [], f"server mode downloaded the in-browser models or TF.js: {tfjs}"
    assert page.evaluate("() => typeof globalThis.tf") == "undefined"
    assert page.evaluate("() => document.getElementById('progress').hidden")
    page.screenshot(path=str(artifacts / "page-server-mode.png"))
    assert page.errors == []


def test_choosing_server_mode_on_the_page_is_the_consent(live_app, one_face_browser, open_page):
    page = open_page(one_face_browser, f"{live_app.url}/?mode=browser&backend=wasm")
    wait_frames(page, 2)
    assert server_traffic(page) == []
    page.click("#settings summary")
    page.select_option("#mode-select", "server")
    page.wait_for_function("() => document.getElementById('mode-name').textContent === 'server'", timeout=30000)
    wait_frames(page, 2)
    assert server_traffic(page)
    assert "mode=server" in page.url
    assert page.errors == []

"""How long the page takes from opening to its first labelled frame, and how many bytes it loads,
with each TF.js encoding of the default model's weights (uint8, float16, float32; the manifest's
`browser_format` is the one the page loads), on an emulated network.

    .venv/bin/python -m bench.page_load [--mbps 10] [--latency-ms 40] [--runs 3]

It starts `python -m server` on a free loopback port and opens the page in headless Chromium (the
astronaut as the fake camera, in-browser mode, WASM) in a fresh context each run, so nothing is
cached; Chromium's own network emulation limits the download rate. The other encodings are served
in place of the shipped one's files (a request route), so the page and server are the same.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from converters.browser_formats import WEIGHT_ENCODINGS
from converters.manifest import read_manifest
from server.config import DEFAULTS
from tests.support.chromium import CHROMIUM, fake_camera_args
from tests.support.live_server import LiveServer


def load_once(browser, url, mbps, latency_ms, shipped, served):
    """(seconds to the first labelled frame, bytes downloaded, model bytes) for one fresh page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                      "downloadThroughput": mbps * 125_000,
                                                      "uploadThroughput": mbps * 125_000})
        if served != shipped:
            page.route(f"**/{shipped}/**",
                       lambda route: route.continue_(url=route.request.url.replace(f"/{shipped}/", f"/{served}/")))
        sizes = []
        page.on("requestfinished", lambda request: sizes.append((request.url, request.sizes()["responseBodySize"])))
        start = time.perf_counter()
        page.goto(f"{url}/?mode=browser&backend=wasm")
        page.wait_for_function("() => window.ferApp && window.ferApp.history.length >= 1", timeout=300_000)
        seconds = time.perf_counter() - start
        model = sum(size for u, size in sizes if "/models/" in u)
        return seconds, sum(size for _, size in sizes), model
    finally:
        context.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbps", type=float, default=10, help="emulated download rate, Mbit/s")
    parser.add_argument("--latency-ms", type=float, default=40, help="emulated round-trip latency")
    parser.add_argument("--runs", type=int, default=3, help="fresh page loads per variant (median)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.support import scenes

    manifest = read_manifest(DEFAULTS["MODEL_DIR"])
    shipped = manifest["browser_format"]
    variants = [name for name in WEIGHT_ENCODINGS if name in manifest["formats"]]
    server = LiveServer([sys.executable, "-m", "server"], {}).wait()
    rows = {}
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            video = scenes.write_y4m(Path(tmp) / "one.y4m", scenes.one_face_scene()[0])
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=fake_camera_args(video))
            try:
                for _ in range(args.runs):  # interleaved, so a slow spell hits every variant
                    for served in variants:
                        name = manifest["formats"][served]["dtype"] + (" (shipped)" if served == shipped else "")
                        rows.setdefault(name, []).append(
                            load_once(browser, server.url, args.mbps, args.latency_ms, shipped, served))
            finally:
                browser.close()
    finally:
        server.stop()
    print(f"Headless Chromium, {args.mbps:g} Mbit/s and {args.latency_ms:g} ms emulated, {args.runs} fresh loads each; medians.")
    print("| weights | s to first labelled frame | MB loaded | of which model MB |")
    print("|---|---:|---:|---:|")
    for name, runs in rows.items():
        s, total, model = (statistics.median(r[k] for r in runs) for k in range(3))
        print(f"| {name} | {s:.2f} | {total / 1e6:.2f} | {model / 1e6:.2f} |")


if __name__ == "__main__":
    main()

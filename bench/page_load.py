"""How long the page takes from opening to its first labelled face, and how many bytes it loads
(as sent: compressed where the server compresses), per URL and per TF.js encoding of the default
model's weights, on an emulated network.

    .venv/bin/python -m bench.page_load [--mbps 10] [--latency-ms 40] [--runs 3] [--what urls,weights,code,return]
                                        [--camera-delay-ms 0] [--url http://host:port]

It starts `python -m server` on a free loopback port (or measures the server at --url) and opens
the page in headless Chromium (the astronaut as the fake camera) in a fresh context each run, so
nothing is cached, not even the backend a trial chose; Chromium's own network emulation limits the
download rate.
`urls`: the default URL (auto mode), the URLs that pin a backend, and server mode.
`weights`: in-browser mode on WASM with each encoding (uint8, float16, float32; the manifest's
`browser_format` is the one the page loads) served in place of the shipped one's files (a request
route), so the page and server are the same.
`code`: in-browser mode on WASM with the page's code as its one-file build (the server as started)
and as its modules (a second server, FER_PAGE_BUNDLE=0).
`return`: in-browser mode on WASM opened twice in the same browser, a first visit and a return
visit (what the browser kept from the first, it need not fetch or revalidate again).
--camera-delay-ms holds the camera back that long after the page asks for it, as a person reading
the permission prompt does (Chromium's fake camera is granted at once); the last column is the
time from the camera opening to the first labelled face.
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
from tests.support.chromium import CHROMIUM, delay_camera, emulate_link, fake_camera_args
from tests.support.live_server import LiveServer

URLS = ["/", "/?backend=wasm", "/?backend=webgl", "/?mode=server"]


def load_once(browser, url, mbps, latency_ms, route=None, camera_delay_ms=0, visits=1):
    """(seconds to the first labelled face, bytes downloaded, model bytes, TF.js bytes, seconds from
    the camera opening to the first labelled face) for one fresh page; with `visits` above 1, for
    its last visit, after the others in the same browser context (its cache)."""
    context = browser.new_context()
    context.add_init_script(delay_camera(camera_delay_ms))
    try:
        page = context.new_page()
        emulate_link(context, page, mbps, latency_ms)
        if route:
            page.route(*route)
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))  # sizes are read afterwards: no driver call inside a handler
        for _ in range(visits):
            finished.clear()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#faces > li", timeout=300_000)
            seconds = time.perf_counter() - start
        after_camera = page.evaluate("() => window.cameraOpenedAt === undefined ? null"
                                     " : (ferApp.firstResultAt - window.cameraOpenedAt) / 1000")
        # responseBodySize is the body as it came over the wire (compressed when it was).
        sizes = [(request.url, max(0, request.sizes()["responseBodySize"])) for request in finished]  # -1: from the cache
        model = sum(size for u, size in sizes if "/models/" in u or "blazeface" in u)
        tfjs = sum(size for u, size in sizes if "@tensorflow" in u)
        return seconds, sum(size for _, size in sizes), model, tfjs, after_camera
    finally:
        context.close()


def serve_instead(shipped, served):
    """A page.route that sends the requests for `shipped`'s files to `served`'s."""
    # One argument: Playwright passes (route, request) to a handler that takes two.
    return f"**/{shipped}/**", lambda route: route.continue_(url=route.request.url.replace(f"/{shipped}/", f"/{served}/"))


def print_table(title, first_column, rows):
    print(title)
    print(f"| {first_column} | s to first labelled face | MB loaded | of which models MB | of which TF.js MB "
          "| s from camera to first label |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in rows.items():
        s, total, model, tfjs = (statistics.median(r[k] for r in runs) for k in range(4))
        camera = [r[4] for r in runs if r[4] is not None]
        after_camera = f"{statistics.median(camera):.2f}" if camera else "-"
        print(f"| {name} | {s:.2f} | {total / 1e6:.2f} | {model / 1e6:.2f} | {tfjs / 1e6:.2f} | {after_camera} |")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbps", type=float, default=10, help="emulated download rate, Mbit/s")
    parser.add_argument("--latency-ms", type=float, default=40, help="emulated round-trip latency")
    parser.add_argument("--runs", type=int, default=3, help="fresh page loads per variant (median)")
    parser.add_argument("--what", default="urls,weights", help="comma-separated: urls, weights, code, return")
    parser.add_argument("--camera-delay-ms", type=float, default=0,
                        help="the camera opens this long after the page asks for it (a person at the permission prompt)")
    parser.add_argument("--url", help="a running server to measure instead of starting one (e.g. another version)")
    args = parser.parse_args(argv)
    what = set(args.what.split(","))
    if "code" in what and args.url:
        parser.error("--what code starts its own two servers: leave out --url")

    from playwright.sync_api import sync_playwright

    from tests.support import scenes

    manifest = read_manifest(DEFAULTS["MODEL_DIR"])
    shipped = manifest["browser_format"]
    variants = [name for name in WEIGHT_ENCODINGS if name in manifest["formats"]]
    server = None if args.url else LiveServer([sys.executable, "-m", "server"], {})
    modules = LiveServer([sys.executable, "-m", "server"], {"FER_PAGE_BUNDLE": "0"}) if "code" in what else None
    base = args.url.rstrip("/") if args.url else server.wait().url
    code = {"one file": base, "modules": modules.wait().url} if modules else {}
    by_url, by_weights, by_code, by_visit = {}, {}, {}, {}
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            video = scenes.write_y4m(Path(tmp) / "one.y4m", scenes.one_face_scene()[0])
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=fake_camera_args(video))
            try:
                for _ in range(args.runs):  # interleaved, so a slow spell hits every variant
                    if "urls" in what:
                        for query in URLS:
                            by_url.setdefault(f"`{query}`", []).append(
                                load_once(browser, f"{base}{query}", args.mbps, args.latency_ms,
                                          camera_delay_ms=args.camera_delay_ms))
                    if "weights" in what:
                        for served in variants:
                            name = manifest["formats"][served]["dtype"] + (" (shipped)" if served == shipped else "")
                            route = None if served == shipped else serve_instead(shipped, served)
                            by_weights.setdefault(name, []).append(load_once(
                                browser, f"{base}/?mode=browser&backend=wasm", args.mbps, args.latency_ms, route,
                                args.camera_delay_ms))
                    if "return" in what:
                        for name, visits in (("first visit", 1), ("return visit", 2)):
                            by_visit.setdefault(name, []).append(load_once(
                                browser, f"{base}/?mode=browser&backend=wasm", args.mbps, args.latency_ms,
                                camera_delay_ms=args.camera_delay_ms, visits=visits))
                    for name, url in code.items():
                        by_code.setdefault(name, []).append(load_once(
                            browser, f"{url}/?mode=browser&backend=wasm", args.mbps, args.latency_ms,
                            camera_delay_ms=args.camera_delay_ms))
            finally:
                browser.close()
    finally:
        for started in (server, modules):
            if started:
                started.stop()
    header = (f"Headless Chromium, {args.mbps:g} Mbit/s and {args.latency_ms:g} ms emulated, camera held back "
              f"{args.camera_delay_ms:g} ms, {args.runs} fresh loads each; medians.")
    if by_url:
        print_table(header, "URL", by_url)
    if by_weights:
        print_table(f"{header} In-browser mode on WASM, by weight encoding.", "weights", by_weights)
    if by_code:
        print_table(f"{header} In-browser mode on WASM, by how the page's code comes.", "code", by_code)
    if by_visit:
        print_table(f"{header} In-browser mode on WASM: a first visit, and a return visit in the same browser"
                    " (measured: the second load).", "visit", by_visit)


if __name__ == "__main__":
    main()

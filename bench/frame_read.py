"""What reading a camera frame into a tensor costs the page, per way of reading it.

    .venv/bin/python -m bench.frame_read [--repeats 50] [--scenes talking,one,four]

Opens the page (`/?mode=browser&backend=wasm`, TF.js's WASM backend on one thread) in headless
Chromium with each scene as the fake camera (bench.peers's scenes), waits for it to label faces,
pauses its loop, and times in the page, on the live video, the median over --repeats of:

- `fromPixels + cast`: `tf.browser.fromPixels` (int32 RGB) and a cast to float, as the page read
  frames before static/js/pixels.js;
- `frameTensor`: pixels.js's read of the whole frame (a 2D canvas into one float RGBA tensor), what
  the page does on frames that run the detector;
- `frameTensor, faces' part`: the same for only the part the faces' crops read
  (classifier.regionFor), what the page does on frames that keep the last boxes;
- `input, whole frame` and `input, faces' part`: a read, then the first face's model input made
  from it (the gray frame, the crop, the resize: classifier.boxInput).
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.support.chromium import CHROMIUM, claim_hardware_concurrency, fake_camera_args
from tests.support.live_server import LiveServer

TIMINGS_JS = """async (repeats) => {
  const app = window.ferApp;
  app.paused = true;
  await new Promise((resolve) => setTimeout(resolve, 300)); // the loop's last frame finishes
  const { frameTensor } = await import('/static/js/pixels.js');
  const { createClassifier } = await import('/static/js/classifier.js');
  const manifest = JSON.parse(document.body.dataset.manifest);
  const classifier = await createClassifier({ modelUrl: app.modelUrl, manifest });
  const video = document.querySelector('video');
  const boxes = app.lastResult.faces.map((f) => ({ x: f.box[0], y: f.box[1], w: f.box[2], h: f.box[3], roll: f.roll * Math.PI / 180 }));
  const region = classifier.regionFor(boxes, video.videoWidth, video.videoHeight);
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const time = (make) => {
    const ms = [];
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      const x = make(); // the WASM backend runs each operation when it is called: done on return
      ms.push(performance.now() - t);
      x.dispose();
    }
    return median(ms);
  };
  const input = (frame, origin) => { const x = classifier.boxInput(frame, boxes[0], origin); frame.dispose(); return x; };
  const out = {
    faces: boxes.length, region: [region.w, region.h], frame: [video.videoWidth, video.videoHeight],
    'fromPixels + cast': time(() => tf.tidy(() => tf.cast(tf.browser.fromPixels(video), 'float32'))),
    frameTensor: time(() => frameTensor(video)),
    "frameTensor, faces' part": time(() => frameTensor(video, region)),
    'input, whole frame': time(() => input(frameTensor(video), [0, 0])),
    "input, faces' part": time(() => input(frameTensor(video, region), [region.x, region.y])),
  };
  classifier.dispose();
  return out;
}"""


def measure(playwright, url, video, repeats):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=fake_camera_args(video))
    try:
        context = browser.new_context()
        context.add_init_script(claim_hardware_concurrency(2))  # one WASM thread, as bench.peers
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => window.ferApp?.lastResult?.faces.length > 0 && ferApp.history.length > 5",
                               timeout=90_000)
        return page.evaluate(TIMINGS_JS, repeats)
    finally:
        browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--scenes", default="talking,one,four")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from bench.peers import build_scenes

    server = LiveServer([sys.executable, "-m", "server"], {}).wait()
    rows = {}
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            scenes = build_scenes(Path(tmp), [s for s in args.scenes.split(",") if s])
            for scene, video in scenes.items():
                rows[scene] = measure(playwright, f"{server.url}/?mode=browser&backend=wasm", video, args.repeats)
                print(scene, json.dumps(rows[scene]), file=sys.stderr)
    finally:
        server.stop()
    keys = ["fromPixels + cast", "frameTensor", "frameTensor, faces' part", "input, whole frame", "input, faces' part"]
    print(f"Headless Chromium, TF.js WASM on 1 thread; medians of {args.repeats} reads of the live video, ms:\n")
    print("| scene | faces | part read | " + " | ".join(keys) + " |")
    print("|---|---:|---|" + "---:|" * len(keys))
    for scene, r in rows.items():
        print(f"| {scene} | {r['faces']} | {r['region'][0]}x{r['region'][1]} of {r['frame'][0]}x{r['frame'][1]} | "
              + " | ".join(f"{r[k]:.1f}" for k in keys) + " |")


if __name__ == "__main__":
    main()

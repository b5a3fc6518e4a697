"""`python -m server.analyze`: recordings, photos and folders of them -> one row per face per
analysed frame (CSV or JSON Lines), with the server's own detector, crop, model and settings.

    python -m server.analyze INPUT... --out results.csv      # or results.jsonl
        [--every N | --fps F] [--annotate out.mp4] [--plot timeline.png] [--summary summary.json]
        [--no-detect] [--model DIR] [--detector NAME] [--tflite int8|float16|float32]
        [--smooth-ms MS] [--keep-ms MS] [--workers K] [--resume]

INPUT: video files, images (JPEG, PNG, WebP) and folders (every image and video in them and below,
in name order). The settings default to the server's (FER_MODEL_DIR, FER_DETECTOR, FER_TFLITE,
FER_MIN_FACE), so a row equals the face /api/predict returns for the same frame. docs/offline-analysis.md
has the output format and what happens to bad input. Exit status: 0 when at least one input was
analysed (files that could not be read are named on stderr), 1 when nothing could be, 2 for a usage error.
"""
import argparse
import collections
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from converters.manifest import read_manifest
from server.analysis_media import SourceError, expand_inputs, frames, sampled
from server.analysis_output import (OutputError, RowWriter, frame_rows, output_format, prepare_resume, read_rows,
                                    row_face)
from server.analysis_report import Annotator, summarise, write_plot, write_summary
from server.analysis_workers import make_runner
from server.classifier import check_manifest_matches_preprocessing
from server.config import from_env
from server.detectors import DETECTORS
from server.tracking import KEEP_MS, FaceTracker


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m server.analyze", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, images, folders")
    parser.add_argument("--out", required=True, help="results file: .csv or .jsonl")
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument("--every", type=positive_int, default=1, metavar="N",
                          help="analyse every N-th frame (default 1)")
    sampling.add_argument("--fps", type=positive_float, metavar="F", help="analyse F frames per second of video")
    parser.add_argument("--annotate", metavar="VIDEO",
                        help="write the video(s) with numbered boxes and labels (.mp4 or .avi); "
                        "with several videos, one file each, named VIDEO's stem + '-' + the source's stem")
    parser.add_argument("--plot", metavar="PNG", help="each face's probabilities over time")
    parser.add_argument("--summary", metavar="JSON",
                        help="per face: time in each expression, mean probabilities, first and last seen")
    parser.add_argument("--no-detect", action="store_true", help="each frame is one face, already cropped")
    parser.add_argument("--model", type=Path, metavar="DIR",
                        help="an exported model folder (default: the server's, FER_MODEL_DIR)")
    parser.add_argument("--detector", choices=sorted(DETECTORS), help="default: the server's (FER_DETECTOR)")
    parser.add_argument("--tflite", choices=["int8", "float16", "float32"], help="default: the server's (FER_TFLITE)")
    parser.add_argument("--smooth-ms", type=non_negative_float, default=0.0, metavar="MS",
                        help="the page's label smoothing, this half-life in ms (default 0: off)")
    parser.add_argument("--keep-ms", type=non_negative_float, default=KEEP_MS, metavar="MS",
                        help=f"a face missed for up to this long keeps its number (default {KEEP_MS})")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, metavar="K",
                        help="worker processes (default: the core count, here %(default)s)")
    parser.add_argument("--resume", action="store_true", help="carry on after the frames already in --out")
    return parser.parse_args(argv)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def non_negative_float(text):
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def say(message):
    tqdm.write(f"analyze: {message}", file=sys.stderr)


def engine_settings(args):
    """The server's settings (FER_* variables), overridden by the command line; checks the model."""
    settings = from_env()
    for key, value in (("MODEL_DIR", args.model), ("DETECTOR", args.detector), ("TFLITE", args.tflite)):
        if value is not None:
            settings[key] = value
    manifest = read_manifest(Path(settings["MODEL_DIR"]))
    check_manifest_matches_preprocessing(manifest, settings["MODEL_DIR"])
    if f"tflite_{settings['TFLITE']}" not in manifest["formats"]:
        raise ValueError(f"{settings['MODEL_DIR']}: no TFLite {settings['TFLITE']!r} model in its manifest")
    return settings, manifest


def check_writable(path):
    """Fail before any work, naming the file, when an output cannot be created."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; expected a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path}: cannot write: permission denied")


def annotate_paths(path, videos):
    """--annotate's file for each video: the name given, or one per video when there are several."""
    path = Path(path)
    if len(videos) == 1:
        return {videos[0].name: path}
    names, out = collections.Counter(), {}
    for source in videos:
        stem = source.path.stem
        names[stem] += 1
        suffix = f"-{names[stem]}" if names[stem] > 1 else ""
        out[source.name] = path.with_name(f"{path.stem}-{stem}{suffix}{path.suffix}")
    return out


class SourceRun:
    """One source's state while its frames are analysed: its tracker, its annotated video, and
    what --resume restored."""

    def __init__(self, source, args, labels, saved_rows, annotate_path):
        self.source = source
        self.keep = sampled(args.every, args.fps, source.fps)
        self.tracker = FaceTracker(labels, args.smooth_ms, keep_ms=args.keep_ms)
        self.start, self.saved = 0, collections.defaultdict(list)
        for row in saved_rows:
            self.saved[row["frame"]].append((row["face"], row_face(row, labels)))
        if self.saved:
            last = max(self.saved)
            self.start = last + 1
            self.tracker.restore(self.saved[last], saved_rows[-1]["time_ms"])
        self.annotate_path, self.annotator = annotate_path, None
        self.analysed = 0

    def to_analyse(self):
        """Frames left to analyse (from the container's frame count: an estimate for the progress bar)."""
        if self.source.kind == "image":
            return 0 if self.start else 1
        return sum(1 for i in range(self.start, self.source.frame_count) if self.keep(i))


def run(args) -> int:
    try:
        settings, manifest = engine_settings(args)
    except (OSError, ValueError, KeyError) as error:
        say(f"cannot load the model: {error}")
        return 1
    labels = list(manifest["labels"])
    smoothing_ms = int(args.smooth_ms) if float(args.smooth_ms).is_integer() else args.smooth_ms
    try:
        output_format(args.out)
        for path in (args.out, args.plot, args.summary, args.annotate):
            if path:
                check_writable(path)
        saved = prepare_resume(args.out, labels, smoothing_ms) if args.resume else []
    except OutputError as error:
        say(str(error))
        return 1

    sources, skipped = expand_inputs(args.inputs)
    for error in skipped:
        say(f"{error}; skipped")
    if not sources:
        say("nothing to analyse: no input could be read")
        return 1

    saved_by_source = collections.defaultdict(list)
    for row in saved:
        saved_by_source[row["source"]].append(row)
    videos = [s for s in sources if s.kind == "video"]
    annotate = annotate_paths(args.annotate, videos) if args.annotate and videos else {}
    if args.annotate and not videos:
        say(f"{args.annotate}: not written: no video among the inputs to annotate")
    runs = [SourceRun(s, args, labels, saved_by_source.get(s.name, []), annotate.get(s.name)) for s in sources]

    try:
        writer = RowWriter(args.out, labels, append=args.resume)
    except OutputError as error:
        say(str(error))
        return 1
    detect = not args.no_detect
    progress = tqdm(total=sum(r.to_analyse() for r in runs), unit="frame", file=sys.stderr, dynamic_ncols=True,
                    desc="analysing", disable=None)
    runner = make_runner(settings, args.workers)
    pending = collections.deque()  # (SourceRun, Frame, future or None) in frame order
    in_flight = 2 * runner.workers + 1

    def finish_one():
        source_run, frame, future = pending.popleft()
        faces = None
        if future is not None:
            result = future.result()
            faces = source_run.tracker.update(result["faces"], frame.time_ms)
            writer.write(frame_rows(source_run.source.name, frame, faces, labels, smoothing_ms))
            source_run.analysed += 1
            progress.update(1)
        elif frame.index < source_run.start and source_run.keep(frame.index):
            faces = source_run.saved.get(frame.index, [])  # analysed by the run being resumed
        if source_run.annotator is not None:
            source_run.annotator.write(frame.rgb, faces)

    interrupted = None  # the exit status when the run stops early
    try:
        for source_run in runs:
            source = source_run.source
            if source_run.annotate_path:
                try:
                    source_run.annotator = Annotator(source_run.annotate_path, source.fps, source.width, source.height)
                except ValueError as error:
                    say(f"{error}; {source.name} is analysed without it")
            try:
                for frame in frames(source, source_run.keep, source_run.start, source_run.annotator is not None):
                    future = runner.submit(frame.rgb, detect) if frame.analyse else None
                    pending.append((source_run, frame, future))
                    while len(pending) > in_flight or (pending and pending[0][2] is None):
                        finish_one()
            except SourceError as error:
                say(f"{error}; skipped")
            if source_run.annotator is not None:  # its video can close once its frames are drawn
                while pending and pending[0][0] is source_run:
                    finish_one()
                source_run.annotator.close()
            for note in source.notes:
                say(note)
        while pending:  # other sources' frames stay in flight across a source's end, so photos go in parallel
            finish_one()
    except KeyboardInterrupt:
        interrupted = 130
        say(f"interrupted; the rows written so far are in {args.out} (carry on with --resume)")
    except BrokenProcessPool as error:  # a worker killed (out of memory, say) or unable to load the model
        interrupted = 1
        say(f"a worker process failed ({error}); the rows written so far are in {args.out} (carry on with --resume)")
    finally:
        progress.close()
        writer.close()
        runner.close(cancel=interrupted is not None)
    if interrupted is not None:
        return interrupted

    info = {r.source.name: source_info(r, args) for r in runs}
    analysed = [r for r in runs if r.analysed or r.saved]
    rows = read_rows(args.out, labels) if (args.summary or args.plot) else []
    settings_used = {"model": manifest.get("name"), "model_dir": str(settings["MODEL_DIR"]),
                     "detector": settings["DETECTOR"] if detect else "none", "tflite": settings["TFLITE"],
                     "smoothing_ms": smoothing_ms, "keep_ms": args.keep_ms, "every": args.every, "fps": args.fps}
    if args.summary:
        summary = summarise(rows, labels, info, settings_used)
        summary["skipped"] = [{"path": e.path, "reason": e.reason} for e in skipped]
        write_summary(args.summary, summary)
    if args.plot:
        write_plot(args.plot, rows, labels,
                   title=f"{manifest.get('name')} model, {settings_used['detector']} detector, "
                                                  f"smoothing {smoothing_ms} ms")
    say(f"{sum(r.analysed for r in runs)} frames of {len(analysed)} of {len(runs) + len(skipped)} inputs analysed "
        f"-> {args.out}")
    return 0 if analysed else 1


def source_info(source_run, args) -> dict:
    source = source_run.source
    entry = {"kind": source.kind, "width": source.width, "height": source.height}
    if source.kind == "video":
        every = args.every if not args.fps else max(1.0, source.fps / args.fps) if source.fps > 0 else args.every
        entry.update({"fps": round(source.fps, 3), "frames": source.frame_count,
                      "step_ms": round(1000.0 * every / source.fps, 3) if source.fps > 0 else None})
    entry["analysed_frames_this_run"] = source_run.analysed
    entry["notes"] = list(source.notes)
    return entry


def main(argv=None):
    sys.exit(run(parse_args(argv)))


if __name__ == "__main__":
    main()

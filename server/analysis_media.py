"""What `python -m server.analyze` reads: the inputs named on the command line -> sources (images
and videos) -> RGB frames, with a clear reason, naming the file, for anything it cannot read.

Images are decoded by the server's own decoder (server.images.decode_image: JPEG, PNG or WebP,
upright per EXIF), so a photo gives the CLI the pixels it gives the server. Videos are read with
OpenCV (its FFmpeg build), frame by frame, never all at once.
"""
import contextlib
import io
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from server.images import InputError, decode_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}  # what decode_image reads
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp",
                  ".y4m", ".ogv", ".ts"}
# An offline photo may be larger than a frame the server accepts from a client (FER_MAX_PIXELS),
# but not so large that decoding it alone could exhaust memory (100 MP x 3 bytes = 300 MB).
MAX_IMAGE_PIXELS = 100_000_000

# FFmpeg's own words when OpenCV cannot open a video -> what to tell the user.
FFMPEG_REASONS = (
    ("Could not find decoder", "its video codec is not one OpenCV's FFmpeg can decode (unsupported codec)"),
    ("moov atom not found", "the MP4/MOV index is missing: the recording was cut off before it was finished "
                            "(truncated file)"),
    ("Invalid data found", "its data is not a video FFmpeg recognises (damaged, or not a video)"),
    ("could not find codec parameters", "its video stream could not be read (damaged or truncated)"),
)


class SourceError(Exception):
    """A file that cannot be analysed; str() names the file and says why."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


@dataclass
class Source:
    """One image or video to analyse. `frame_count` and `fps` are what the container says
    (videos) or 1 and 0 (images)."""
    path: Path
    kind: str                 # "image" or "video"
    frame_count: int = 1
    fps: float = 0.0
    width: int = 0
    height: int = 0
    notes: list = field(default_factory=list)  # problems met while reading, each naming the file
    data: bytes = None        # an uploaded video, decoded from memory instead of from `path`

    @property
    def name(self):
        return str(self.path)


@dataclass
class Frame:
    index: int        # in the source, from 0
    time_ms: float    # from the start of the video; 0 for an image
    rgb: object       # (H, W, 3) uint8, or None for a frame only passed through (not analysed nor drawn)
    analyse: bool     # False: a frame between sampled ones, decoded only to be drawn into --annotate


def expand_inputs(inputs):
    """Command-line paths -> (sources in order, [SourceError] for what was skipped). A folder
    stands for the images and videos in it and below it, in name order."""
    sources, errors = [], []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(path).parts))
            if not files:
                errors.append(SourceError(f"{path}{os.sep}", "empty folder: no image or video to analyse"))
                continue
            found = 0
            for file in files:
                try:
                    sources.append(open_source(file))
                    found += 1
                except SourceError as error:
                    errors.append(error)
            if not found:
                errors.append(SourceError(f"{path}{os.sep}", "no image or video in this folder could be read"))
        elif path.exists():
            try:
                sources.append(open_source(path))
            except SourceError as error:
                errors.append(error)
        else:
            errors.append(SourceError(path, "no such file or folder"))
    return sources, errors


def open_source(path: Path, data: bytes = None) -> Source:
    """Check one file: an image we decode, or a video OpenCV can open and read a frame of. With
    `data`, the video is those bytes (an upload), read in memory; `path` only names it."""
    if data is None and path.suffix.lower() in IMAGE_SUFFIXES:
        rgb = read_image(path)
        return Source(path, "image", 1, 0.0, rgb.shape[1], rgb.shape[0])
    with open_video(path, data) as capture:
        ok, _ = capture.read()
        if not ok:
            raise SourceError(path, "OpenCV opened it as a video but could not decode its first frame "
                                    "(damaged, truncated, or an unsupported codec)")
        return Source(path, "video", int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
                      float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
                      int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                      data=data)


def read_image(path: Path):
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(path, f"cannot read: {error.strerror or error}") from None
    try:
        return decode_image(data, max(1, len(data)), MAX_IMAGE_PIXELS)
    except InputError as error:
        raise SourceError(path, error.message) from None


@contextlib.contextmanager
def open_video(path: Path, data: bytes = None):
    """cv2.VideoCapture on `path` (or on `data` in memory), released after; SourceError with
    FFmpeg's reason if it cannot open."""
    if data is None and not os.access(path, os.R_OK):
        raise SourceError(path, "cannot read: permission denied")
    # OpenCV reads the stream through a pointer it does not own: it must outlive the capture.
    stream = None if data is None else io.BytesIO(data)
    log = NativeStderr()
    try:
        with log:
            capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG) if data is None else \
                cv2.VideoCapture(stream, cv2.CAP_FFMPEG, [])
            opened = capture.isOpened()
        reason = None if opened else failure_reason(path, log.text())
    finally:
        log.close()
    if not opened:
        capture.release()
        raise SourceError(path, reason)
    try:
        yield capture
    finally:
        capture.release()
        del stream


def failure_reason(path: Path, ffmpeg_log: str) -> str:
    for needle, reason in FFMPEG_REASONS:
        if needle in ffmpeg_log:
            return f"cannot open as a video: {reason}"
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return "cannot open as a video (OpenCV's FFmpeg does not read it: damaged, or an unsupported format)"
    return "not a JPEG, PNG or WebP image, nor a video OpenCV can read"


class NativeStderr:
    """Catches what native code (FFmpeg, OpenCV) prints on file descriptor 2 while inside `with`,
    to explain a failure in our own words instead of letting its log lines through. Reusable:
    `text()` is everything caught so far."""

    def __init__(self):
        self.sink = tempfile.TemporaryFile()

    def __enter__(self):
        self.saved = os.dup(2)
        os.dup2(self.sink.fileno(), 2)
        return self

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)

    def text(self):
        self.sink.seek(0)
        return self.sink.read().decode("utf-8", "replace")

    def close(self):
        self.sink.close()


def sampled(every=1, fps=None, source_fps=0.0):
    """Which frame indices to analyse: every `every`-th, or the first of each 1/`fps` s slot."""
    if fps:
        if source_fps <= 0:
            return lambda i: i % max(1, every) == 0
        ratio = fps / source_fps
        return lambda i: i == 0 or math.floor(i * ratio + 1e-9) > math.floor((i - 1) * ratio + 1e-9)
    return lambda i: i % every == 0


def frames(source: Source, keep, start=0, decode_all=False):
    """Yield the source's Frames from index `start`: those `keep(index)` says to analyse, and,
    with `decode_all` (for --annotate), the others too. A video that ends before the frame count
    its container gave adds a note to source.notes."""
    if source.kind == "image":
        if start == 0:
            yield Frame(0, 0.0, read_image(source.path), True)
        return
    quiet = NativeStderr()  # a damaged packet makes FFmpeg log; the note below says it once
    with open_video(source.path, source.data) as capture, contextlib.closing(quiet):
        index = -1
        while True:
            with quiet:
                grabbed = capture.grab()
            if not grabbed:
                break
            index += 1
            analyse = keep(index) and index >= start
            if not (analyse or decode_all):
                continue
            ok, bgr = capture.retrieve()
            if not ok:
                break
            # The frame's own timestamp, right for variable-frame-rate recordings (a browser's WebM)
            # too; the frame rate's clock when the container gives none.
            time_ms = capture.get(cv2.CAP_PROP_POS_MSEC)
            if index > 0 and time_ms <= 0:
                time_ms = index * 1000.0 / source.fps if source.fps > 0 else 0.0
            yield Frame(index, round(time_ms, 2), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), analyse)
    read = index + 1
    if source.frame_count and read < source.frame_count - 1:  # containers may round the count by one
        source.notes.append(f"{source.path}: the video ended after {read} of the {source.frame_count} frames "
                            "its container announces (truncated or damaged); the frames before are analysed")

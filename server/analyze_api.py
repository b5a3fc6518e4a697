"""POST /api/analyze: one uploaded video -> the rows `python -m server.analyze` writes for it,
as JSON (default) or CSV (`?format=csv`).

Within the server's limits: the upload is at most FER_MAX_UPLOAD_BYTES, like an image, and is
decoded in memory (OpenCV reads it from a BytesIO; nothing touches the disk); its frames may hold
at most FER_MAX_PIXELS; at most MAX_FRAMES frames are analysed (each costs what one /api/predict
call costs) and at most MAX_DECODED_FRAMES decoded, so one request holds a worker thread for
seconds at most. Longer recordings: sample them (`?fps=2`, `?every=15`) or use the CLI.
On SIGTERM the server answers an analysis in flight before it exits or, if it cannot finish
within the drain's time, answers it with a 503 `shutting_down`; a new one gets that 503 at once.

Query: format=json|csv, every=N or fps=F (as the CLI's), detect=false (each frame is one face),
smooth_ms=MS (the page's smoothing, off by default). Multipart field `video`, or the raw body.
"""
import csv
import io
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from server.analysis_media import SourceError, frames, open_source, sampled
from server.analysis_output import columns, frame_rows
from server.api import DETECT_VALUES, check_content_length
from server.concurrency import run_blocking
from server.images import InputError, check_size
from server.in_flight import IN_FLIGHT
from server.tracking import FaceTracker

bp = Blueprint("analyze_api", __name__)

MAX_FRAMES = 300            # analysed: 10 s of video at 30 fps, or 2.5 minutes at ?fps=2
MAX_DECODED_FRAMES = 9000   # decoded to reach them: 5 minutes at 30 fps


def _number(name, kind, minimum):
    text = request.args.get(name)
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not value >= minimum or value != value:
        raise InputError(f"expected {name} to be a number >= {minimum}, got {name}={text!r}")
    return value


def _upload() -> tuple:
    """(name, bytes) of the uploaded video, refused when empty or over the size limit."""
    engine = current_app.extensions["fer"]
    check_content_length()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("video")
        if upload is None:
            raise InputError(f"expected a multipart field 'video', got fields {sorted(request.files) or 'none'}")
        name, data = Path(upload.filename or "upload").name, upload.read(engine.max_bytes + 1)
    else:
        name, data = "upload", request.get_data(cache=False)
    try:
        check_size(data, engine.max_bytes)
    except InputError as error:
        error.message = error.message.replace("an image", "a video")
        raise
    return name, data


def analyse_upload(engine, name, data, every, fps, detect, smoothing_ms) -> tuple:
    """Blocking: the video's rows and notes, as the CLI computes them."""
    try:
        source = open_source(Path(name), data)
    except SourceError as error:
        raise InputError(f"expected a video OpenCV can read: {error.reason}", 415, "unsupported_media_type") from None
    if source.width * source.height > engine.max_pixels:
        raise InputError(f"expected at most {engine.max_pixels} pixels a frame, got {source.width}x{source.height}",
                         413, "image_too_large")
    keep = sampled(every or 1, fps, source.fps)
    labels = engine.classifier.labels
    tracker = FaceTracker(labels, smoothing_ms)
    rows, analysed = [], 0
    for frame in frames(source, lambda i: i < MAX_DECODED_FRAMES and keep(i)):
        IN_FLIGHT.check_time()  # a SIGTERM drain near its end: a 503 now rather than a cut connection
        analysed += 1
        if analysed > MAX_FRAMES or frame.index >= MAX_DECODED_FRAMES:
            raise InputError(f"expected at most {MAX_FRAMES} frames to analyse in {MAX_DECODED_FRAMES} decoded; "
                             "sample fewer with ?fps= or ?every=, or use python -m server.analyze",
                             413, "too_many_frames")
        result = engine.analyse_rgb(frame.rgb, detect)
        rows += frame_rows(name, frame, tracker.update(result["faces"], frame.time_ms), labels, smoothing_ms)
    return rows, source.notes


@bp.post("/api/analyze")
def analyze():
    IN_FLIGHT.check_open()  # once it has started, a SIGTERM drain waits for it (CountRequests)
    engine = current_app.extensions["fer"]
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InputError(f"expected format=json or format=csv, got format={fmt!r}")
    detect = DETECT_VALUES.get(request.args.get("detect", "true").lower())
    if detect is None:
        raise InputError(f"expected detect=true or detect=false, got detect={request.args['detect']!r}")
    every, fps = _number("every", int, 1), _number("fps", float, 1e-6)
    if every and fps:
        raise InputError("expected every= or fps=, not both")
    smoothing = _number("smooth_ms", float, 0) or 0
    smoothing_ms = int(smoothing) if float(smoothing).is_integer() else smoothing
    name, data = _upload()
    with current_app.extensions["fer_analyses"]:
        rows, notes = run_blocking(engine.async_mode, analyse_upload, engine, name, data, every, fps, detect,
                                   smoothing_ms)
    header = columns(engine.classifier.labels)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.DictWriter(text, header)
        writer.writeheader()
        writer.writerows(rows)
        return Response(text.getvalue(), mimetype="text/csv")
    return jsonify({"columns": header, "rows": rows, "notes": notes})

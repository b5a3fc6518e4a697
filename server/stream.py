"""The Socket.IO namespace /stream: frames in, results out, at most one frame in flight per client.

A client emits `frame` {"id", "image": bytes}. While a frame is being served, newer frames wait
in a single slot; a frame arriving while the slot is full replaces it (the stale one is dropped,
and counted in the next result's "dropped"). So a fast client gets the freshest frame served next
and its latency stays bounded, whatever rate it sends at.

Events:
    frame  (client)  {"id": int | str (1-64 chars), "image": JPEG/PNG/WebP bytes,
                      "detect": bool (optional, default true; false: the image is one face, already cropped)}
    result (server)  {"id", "faces": [{"box": [x, y, w, h], "score", "label", "confidence",
                      "probabilities": {label: p}}], "width", "height", "detector",
                      "timings": {"decode", "detect", "classify", "total"} (ms), "dropped"}
    error  (server)  {"id" (when known), "message", "code", "status"}, code one of:
                      bad_request, empty_image (400), corrupt_image (400), payload_too_large (413),
                      image_too_large (413), unsupported_media_type (415), bad_dimensions (400),
                      too_many_scans (400), internal_error (500), shutting_down (503: reconnect)
"""
import logging
import threading
from dataclasses import dataclass, field

from flask import request
from flask_socketio import Namespace

from server.images import InputError, check_size
from server.in_flight import IN_FLIGHT

MAX_ID_LENGTH = 64
log = logging.getLogger(__name__)


@dataclass
class ClientState:
    """Back-pressure bookkeeping for one connection."""
    busy: bool = False
    pending: tuple = None     # (id, image bytes, detect) of the newest frame waiting
    dropped: int = 0          # stale frames replaced since the last result
    # Taken on the event loop only: a green lock under eventlet, a real one in threading mode.
    lock: object = field(default_factory=threading.Lock)


def parse_frame(data, max_bytes):
    """Validate a `frame` payload; returns (id, image bytes, detect) or raises InputError (with .frame_id if known)."""
    if not isinstance(data, dict):
        raise InputError(f"expected frame to be an object {{id, image}}, got {type(data).__name__}")
    frame_id = data.get("id")
    if isinstance(frame_id, bool) or not isinstance(frame_id, (int, str)) or \
            (isinstance(frame_id, str) and not 0 < len(frame_id) <= MAX_ID_LENGTH):
        raise InputError(f"expected frame.id to be an integer or a string of 1-{MAX_ID_LENGTH} characters, "
                         f"got {type(frame_id).__name__ if frame_id is not None else 'nothing'}")
    image = data.get("image")
    error = None
    if image is None:
        error = InputError("expected frame.image (JPEG, PNG or WebP bytes), got nothing")
    elif not isinstance(image, (bytes, bytearray, memoryview)):
        error = InputError(f"expected frame.image to be binary (JPEG, PNG or WebP bytes), got {type(image).__name__}")
    else:
        try:
            check_size(image, max_bytes)
        except InputError as size_error:
            error = size_error
    detect = data.get("detect", True)
    if error is None and not isinstance(detect, bool):
        error = InputError(f"expected frame.detect to be true or false, got {type(detect).__name__}")
    if error is not None:
        error.frame_id = frame_id
        raise error
    return frame_id, bytes(image), detect


class StreamNamespace(Namespace):
    """Handlers for /stream, named after their events."""

    def __init__(self, namespace, engine):
        super().__init__(namespace)
        self.engine = engine
        self.clients = {}  # sid -> ClientState

    def on_connect(self, auth=None):
        self.clients[request.sid] = ClientState()

    def on_disconnect(self, reason=None):
        self.clients.pop(request.sid, None)

    def on_frame(self, data=None):
        sid = request.sid
        frame = None
        try:
            frame = parse_frame(data, self.engine.max_bytes)
            IN_FLIGHT.check_open()  # after parsing, so that a refusal carries the frame's id
        except InputError as error:
            self._send_error(sid, error, frame[0] if frame else getattr(error, "frame_id", None))
            return
        state = self.clients.setdefault(sid, ClientState())
        with state.lock:
            if state.busy:
                if state.pending is not None:
                    state.dropped += 1
                state.pending = frame
                return
            state.busy = True
        # This handler serves frames until the slot is empty; other handlers only fill the slot.
        with IN_FLIGHT.work():
            while frame is not None:
                self._serve(sid, state, *frame)
                with state.lock:
                    frame, state.pending = state.pending, None
                    if frame is None or self.clients.get(sid) is not state:  # done, or the client left
                        frame, state.busy = None, False

    def _serve(self, sid, state, frame_id, image, detect):
        try:
            result = self.engine.analyse_off_loop(image, detect)
        except InputError as error:
            self._send_error(sid, error, frame_id)
            return
        except Exception:  # a bug must not leave this client stuck "busy"; log it, never the frame
            log.exception("frame %r failed", frame_id)
            self._send_error(sid, InputError("the server failed on this frame", 500, "internal_error"), frame_id)
            return
        with state.lock:
            result["dropped"], state.dropped = state.dropped, 0
        self.emit("result", {"id": frame_id, **result}, room=sid)

    def _send_error(self, sid, error, frame_id=None):
        payload = error.as_dict()
        if frame_id is not None:
            payload["id"] = frame_id
        self.emit("error", payload, room=sid)

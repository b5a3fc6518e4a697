"""The JSON API: /api/model, /api/predict, /healthz. Errors are JSON {"error": message}."""
import time

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from server.images import InputError
from server.in_flight import IN_FLIGHT

bp = Blueprint("api", __name__)
STARTED = time.time()


def _engine():
    return current_app.extensions["fer"]


@bp.get("/api/model")
def model():
    return jsonify(_engine().manifest)


@bp.get("/healthz")
def healthz():
    engine = _engine()
    return jsonify({"status": "ok", "model": engine.manifest.get("name"), "detector": engine.detector.name,
                    "labels": engine.classifier.labels, "async_mode": current_app.config["ASYNC_MODE"],
                    "uptime_s": round(time.time() - STARTED, 1), "in_flight": IN_FLIGHT.count})


# ?detect= values: whether to look for faces, or take the whole image as one face already cropped.
DETECT_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def check_content_length():
    """Refuse (413) a request whose announced size is over the app's limit, before reading it."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise InputError(f"expected a request of at most {limit} bytes, got {request.content_length}",
                         413, "payload_too_large")


@bp.post("/api/predict")
def predict():
    """An image as multipart field `image`, or as the raw request body -> faces JSON.
    `?detect=false`: the image is one face, already cropped; classify it whole."""
    IN_FLIGHT.check_open()
    detect = DETECT_VALUES.get(request.args.get("detect", "true").lower())
    if detect is None:
        raise InputError(f"expected detect=true or detect=false, got detect={request.args['detect']!r}")
    check_content_length()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("image")
        if upload is None:
            raise InputError(f"expected a multipart field 'image', got fields {sorted(request.files) or 'none'}")
        data = upload.read(_engine().max_bytes + 1)  # one byte more tells "too large" from "exactly at the limit"
    elif request.mimetype == "application/x-www-form-urlencoded":
        raise InputError("expected a multipart upload (field 'image') or a raw image body, got a form",
                         415, "unsupported_media_type")
    else:
        data = request.get_data(cache=False)
    return jsonify(_engine().analyse_off_loop(data, detect))  # counted in flight by CountRequests


@bp.app_errorhandler(InputError)
def input_error(error):
    return jsonify({"error": error.message, "code": error.code}), error.status


@bp.app_errorhandler(HTTPException)
def http_error(error):
    """JSON for the API; the plain HTML error page elsewhere."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify({"error": error.description, "code": error.name.lower().replace(" ", "_")}), error.code
    return error

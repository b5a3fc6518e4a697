"""The app factory: `create_app(config=None)` builds the Flask app with its Socket.IO server."""

from flask import Flask
from flask_socketio import SocketIO

from server import analyze_api, api, compression, model_files, pages, socket_limits, websocket_mask
from server.concurrency import size_thread_pool, waiting_room
from server.config import ROOT, from_env
from server.in_flight import CountRequests
from server.memory import reuse_frame_buffers
from server.pipeline import Engine
from server.security import Gate, InMemoryRequest, add_headers, origin_allowed
from server.stream import StreamNamespace

MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and headers around an upload at the size limit


def create_app(config=None) -> Flask:
    """Build the app: settings from FER_* variables, overridden by `config`; models loaded once."""
    app = Flask(__name__, static_folder=str(ROOT / "static"), template_folder=str(ROOT / "templates"))
    app.request_class = InMemoryRequest
    app.json.sort_keys = False  # keep "probabilities" in the manifest's label order
    app.config.update(from_env())
    app.config.update(config or {})
    settings = app.config
    reuse_frame_buffers()
    settings["MAX_CONTENT_LENGTH"] = settings["MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD
    allowed = list(settings["ALLOWED_ORIGINS"])

    # One SocketIO per app (not one per module) so that tests can run several apps side by side.
    socketio = SocketIO(
        app,
        cors_allowed_origins=lambda origin, environ: origin_allowed(origin, environ, allowed),
        # Room for a frame over the limit to arrive, so it gets an `error` event rather than a
        # dropped connection; beyond twice the limit Engine.IO closes the connection itself.
        max_http_buffer_size=2 * settings["MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD,
        async_mode=settings.get("ASYNC_MODE"),
    )
    settings["ASYNC_MODE"] = socketio.async_mode
    size_thread_pool(socketio.async_mode, settings["INFERENCE_THREADS"])
    if socketio.async_mode == "eventlet":
        websocket_mask.install()
        socket_limits.bound_websocket_messages()
    socket_limits.install(socketio.server, "/stream")
    # CountRequests: a SIGTERM drain waits until /api/predict and /api/analyze responses are written.
    app.wsgi_app = CountRequests(app.wsgi_app)
    app.wsgi_app = Gate(app.wsgi_app, settings["ALLOWED_HOSTS"])  # outside Socket.IO's middleware: covers /socket.io/

    engine = Engine(settings["MODEL_DIR"], tflite=settings["TFLITE"], detector=settings["DETECTOR"],
                    max_bytes=settings["MAX_UPLOAD_BYTES"], max_pixels=settings["MAX_PIXELS"],
                    min_face=settings["MIN_FACE"], async_mode=socketio.async_mode)
    app.extensions["fer"] = engine
    # Uploads to /api/analyze can take seconds each: they may hold all but one inference thread, so
    # the live streams always have one.
    app.extensions["fer_analyses"] = waiting_room(socketio.async_mode, max(1, settings["INFERENCE_THREADS"] - 1))
    # What the page names for in-browser mode, read once: the classifier (its manifest, its model.json
    # URL and the files it asks for as soon as it opens) and the detector it runs.
    settings["PAGE_MODEL"] = model_files.page_model(settings["MODEL_DIR"])
    settings["PAGE_DETECTOR"] = model_files.page_detector(settings["DETECTOR"])
    settings["PAGE_LIGHT_MODEL"] = pages.other_model(settings, "LIGHT_MODEL")  # what `auto` may turn to, or ''
    settings["PAGE_CROWD_MODEL"] = pages.other_model(settings, "CROWD_MODEL")  # for many faces, or ''
    settings["PAGE_OTHER_MODELS"] = pages.other_page_models(settings)  # those two, as the page runs them

    app.register_blueprint(pages.bp)
    app.after_request(pages.cache_versioned_static)
    compression.compress(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(analyze_api.bp)
    app.register_blueprint(model_files.bp)
    app.after_request(lambda response: add_headers(response, allowed))
    socketio.on_namespace(StreamNamespace("/stream", engine))
    return app


def socketio_of(app) -> SocketIO:
    """The SocketIO server attached to `app`."""
    return app.extensions["socketio"]


__all__ = ["create_app", "socketio_of"]

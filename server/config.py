"""Settings, read from FER_* environment variables; `create_app(config)` overrides any of them."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DEFAULTS = {
    "MODEL_DIR": ROOT / "models" / "resnet_slim",  # FER_MODEL_DIR: the exported model to serve
    # FER_DETECTOR: blazeface (MediaPipe short range: faces within about 1.5 m of a webcam, twice as
    # fast) | blazeface_full (full range: far faces too) | haar. The page runs the same BlazeFace
    # (docs/architecture.md, "Face detectors"; python -m bench.detectors, bench.browser).
    "DETECTOR": "blazeface",
    # FER_TFLITE: which of the model's TFLite files the server runs: int8 | float16 | float32.
    # int8 is the default's fastest at the same accuracy (bench.models); mini_xception is faster in float32.
    "TFLITE": "int8",
    # FER_LIGHT_MODEL: a model served beside FER_MODEL_DIR that the page's `auto` mode switches to
    # when the browser runs the server's model below `minFps`, before it proposes server mode (frames
    # stay in the browser); empty (the default) for none. With FER_MODEL_DIR=models/resnet (the wider
    # teacher), resnet_slim: level with it on FER+, 1.2 to 2.3 times its frame rate in the page
    # (docs/benchmarks.md). The default model is resnet_slim already, and nothing as accurate is lighter.
    "LIGHT_MODEL": "",
    # FER_CROWD_MODEL: a smaller model served beside FER_MODEL_DIR that the page's in-browser mode
    # classifies with while FER_CROWD_FACES or more faces are in view, so a group keeps the frame
    # rate of one face; it loads the first time that many faces show. Empty for none. resnet_tiny:
    # a quarter of resnet_slim's multiply-adds (docs/benchmarks.md, "Several faces").
    "CROWD_MODEL": "resnet_tiny",
    "CROWD_FACES": 3,
    # FER_PAGE_BUNDLE=0: the page runs its modules one by one (static/js), not the one-file build
    # `make setup` makes of them (static/dist/page.js), which it runs when that is newer than them all.
    "PAGE_BUNDLE": True,
    "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,        # FER_MAX_UPLOAD_BYTES: one frame or upload
    "MAX_PIXELS": 4096 * 4096,                  # FER_MAX_PIXELS: declared width x height
    "MIN_FACE": 24,                             # FER_MIN_FACE: smaller faces are skipped
    "MAX_CONNECTIONS": 4096,                    # FER_MAX_CONNECTIONS: open connections `python -m server` holds
    # FER_MAX_CONNECTIONS_PER_ADDRESS: of those, from one client address (nginx's limit_conn in
    # deploy/nginx.conf is the same). Behind a proxy every connection comes from the proxy: set it
    # to FER_MAX_CONNECTIONS there (deploy.cluster does).
    "MAX_CONNECTIONS_PER_ADDRESS": 256,
    # FER_INFERENCE_THREADS: OS threads that decode, detect and classify under eventlet. The models
    # run one call at a time and hold the GIL for part of it, so a few threads keep a core busy;
    # eventlet's default 20 only fight over the GIL (bench.scale: 117 -> 150-185 results/s, one process).
    "INFERENCE_THREADS": 4,
    "ALLOWED_ORIGINS": [],                      # FER_ALLOWED_ORIGINS: other origins, comma separated, or *
    # FER_ALLOWED_HOSTS: names this server answers to, comma separated, or *; IP addresses and
    # localhost always work. Any other Host is refused (421), so DNS rebinding cannot reach it.
    "ALLOWED_HOSTS": [],
    "HOST": "0.0.0.0",                          # FER_HOST: every interface, so phones on the LAN can connect
    "PORT": 5000,                               # PORT, as platforms like Heroku set it
    "CERTFILE": None,                           # FER_CERTFILE + FER_KEYFILE: serve HTTPS (cameras need it off localhost)
    "KEYFILE": None,
}


def _int(name, text):
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {value}")
    return value


def from_env(environ=None) -> dict:
    """DEFAULTS overridden by whatever FER_* variables (and PORT) are set."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    if environ.get("FER_MODEL_DIR"):
        settings["MODEL_DIR"] = Path(environ["FER_MODEL_DIR"])
    if environ.get("FER_DETECTOR"):
        settings["DETECTOR"] = environ["FER_DETECTOR"]
    if environ.get("FER_TFLITE"):
        settings["TFLITE"] = environ["FER_TFLITE"]
    if "FER_LIGHT_MODEL" in environ:  # set but empty: no lighter model
        settings["LIGHT_MODEL"] = environ["FER_LIGHT_MODEL"].strip()
    if "FER_CROWD_MODEL" in environ:  # set but empty: no crowd model
        settings["CROWD_MODEL"] = environ["FER_CROWD_MODEL"].strip()
    for key in ("MAX_UPLOAD_BYTES", "MAX_PIXELS", "MIN_FACE", "MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_ADDRESS",
                "INFERENCE_THREADS", "CROWD_FACES"):
        if environ.get(f"FER_{key}"):
            settings[key] = _int(f"FER_{key}", environ[f"FER_{key}"])
    if environ.get("FER_ALLOWED_ORIGINS"):
        settings["ALLOWED_ORIGINS"] = [o.strip() for o in environ["FER_ALLOWED_ORIGINS"].split(",") if o.strip()]
    if environ.get("FER_ALLOWED_HOSTS"):
        settings["ALLOWED_HOSTS"] = [h.strip().lower() for h in environ["FER_ALLOWED_HOSTS"].split(",") if h.strip()]
    if environ.get("FER_MESSAGE_QUEUE"):
        # Every reply goes to the socket that sent the frame, in the process that holds it, so no
        # process ever emits to another's clients: a queue would only add a round trip per frame.
        raise ValueError("FER_MESSAGE_QUEUE: no longer read; several server processes need no message queue, "
                         "only clients that stay with one process (sticky sessions, or WebSocket-only). Unset it.")
    if environ.get("FER_PAGE_BUNDLE"):
        value = environ["FER_PAGE_BUNDLE"].strip()
        if value not in ("0", "1"):
            raise ValueError(f"FER_PAGE_BUNDLE: expected 1 (the one-file build, the default) or 0 (the modules), got {value!r}")
        settings["PAGE_BUNDLE"] = value == "1"
    if environ.get("FER_HOST"):
        settings["HOST"] = environ["FER_HOST"]
    for key in ("CERTFILE", "KEYFILE"):
        if environ.get(f"FER_{key}"):
            settings[key] = environ[f"FER_{key}"]
    if bool(settings["CERTFILE"]) != bool(settings["KEYFILE"]):
        raise ValueError("FER_CERTFILE and FER_KEYFILE: set both to serve HTTPS, or neither")
    if environ.get("PORT"):
        settings["PORT"] = _int("PORT", environ["PORT"])
    return settings

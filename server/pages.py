"""The page, and the browser libraries it loads from node_modules (served locally: no CDN)."""
import functools
import json
import mimetypes
import posixpath
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from markupsafe import Markup
from werkzeug.security import safe_join

from server import model_files
from server.config import ROOT
from server.file_versions import asked_for, cache_for_good, versioned

bp = Blueprint("pages", __name__)

NODE_MODULES = ROOT / "node_modules"
PAGE_MODULES = ROOT / "static" / "js"
# The page's modules built into one file by `make setup` from this entry (static/bundle.js).
BUNDLE_ENTRY = ROOT / "static" / "bundle.js"
BUNDLE = ROOT / "static" / "dist" / "page.js"
STYLESHEET = ROOT / "static" / "css" / "app.css"
# A static `import ... from './x.js'` in one of the page's modules (it may span lines).
STATIC_IMPORT = re.compile(r"""^import\b[^;]*?\bfrom\s+'\./([\w-]+\.js)'""", re.M)
# boot.js imports a mode's engine only when it starts that mode.
ENGINE_MODULES = {"server": "socket.js", "browser": "inbrowser.js"}
# Only these npm packages are reachable under /vendor/; nothing else in node_modules is.
VENDOR_PACKAGES = ("@tensorflow/tfjs-core", "@tensorflow/tfjs-converter", "@tensorflow/tfjs-backend-wasm",
                   "@tensorflow/tfjs-backend-webgpu", "@tensorflow/tfjs-backend-webgl", "@tensorflow/tfjs-backend-cpu",
                   "socket.io-client")
VENDOR_MAX_AGE = 3600
# A /vendor/ URL whose ?v= is the package's installed version names one build for good: browsers may
# keep it a year without asking again (static/js/vendor.js asks for every vendor file so).

# Browsers refuse to stream-compile WebAssembly served with any other type.
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")


@functools.cache
def vendor_versions() -> dict:
    """{package: installed version} of the allow-listed packages that have a package.json."""
    versions = {}
    for package in VENDOR_PACKAGES:
        manifest = NODE_MODULES / package / "package.json"
        if manifest.exists():
            versions[package] = json.loads(manifest.read_text())["version"]
    return versions


@functools.cache
def module_graph(entry: str) -> tuple:
    """The page module `entry` and those it imports statically, and theirs: all that must load before it runs."""
    found, todo = [], [entry]
    while todo:
        name = todo.pop(0)
        if name not in found:
            found.append(name)
            todo += STATIC_IMPORT.findall((PAGE_MODULES / name).read_text())
    return tuple(found)


# The page's one inline script: it asks for the camera before any of the page's files arrive. The
# CSP allows it by its hash (server/security.py).
ASK_CAMERA_SCRIPT = (ROOT / "templates" / "ask_camera.js").read_text(encoding="utf-8")


def page_bundle(config):
    """The URL of the page's one-file build when config allows it (PAGE_BUNDLE) and it is at least as
    new as every module and its entry, else None: a module edited since the build then runs as
    edited, from its own file. Asked on every page load (two dozen stat calls)."""
    if not config["PAGE_BUNDLE"]:
        return None
    try:
        built = BUNDLE.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    sources = [BUNDLE_ENTRY, *PAGE_MODULES.glob("*.js")]
    return versioned("/static/dist/page.js", BUNDLE) if all(built >= p.stat().st_mtime_ns for p in sources) else None


def head_preloads(args, config, model, bundled=False) -> dict:
    """What the page's <head> has the browser fetch at once, before any script runs: without it each
    module waits for the one that imports it, and the models' files for the scripts. {modules: the
    page's modules and its mode's engine's, files: unless the URL asks for server mode
    (static/js/settings.js reads the same ?mode), the classifier's TF.js files (`model`, a
    model_files.page_model(), or None when the page must look for its model itself) and the detector's}.
    `bundled`: the page runs its one-file build, which holds every module, so none is preloaded."""
    server_mode = args.get("mode") == "server"
    engine = ENGINE_MODULES["server" if server_mode else "browser"]
    modules = () if bundled else module_graph("start.js") + module_graph("boot.js") + module_graph(engine)
    files = [] if server_mode else \
        (model["files"] if model else []) + (config["PAGE_DETECTOR"] or {}).get("files", [])
    return {"modules": [f"/static/js/{m}" for m in dict.fromkeys(modules)], "files": files}


@bp.get("/")
def index():
    config = current_app.config
    # ?model= names another served model for in-browser mode: the page gets it as it gets the
    # server's own (manifest inline, files preloaded), so it starts as soon.
    # One it does not serve: the page names the server's own, preloads none, and asks for it itself.
    model = model_files.requested_page_model(request.args["model"]) if request.args.get("model") else config["PAGE_MODEL"]
    bundle = page_bundle(config)
    named = model or config["PAGE_MODEL"]
    return render_template("index.html", model=named, manifest=page_manifest(named["manifest"]),
                           other_models=config["PAGE_OTHER_MODELS"], detector=config["PAGE_DETECTOR"],
                           light_model=config["PAGE_LIGHT_MODEL"], crowd_model=config["PAGE_CROWD_MODEL"],
                           crowd_faces=config["CROWD_FACES"], bundle=bundle, ask_camera=Markup(ASK_CAMERA_SCRIPT),
                           stylesheet=versioned("/static/css/app.css", STYLESHEET),
                           preloads=head_preloads(request.args, config, model, bundled=bundle is not None),
                           vendor_versions=vendor_versions())


# The manifest facts the page needs and shows (labels, input, outputs, measured accuracy); the rest
# stays on the server.
PAGE_MANIFEST_KEYS = ("name", "architecture", "labels", "input", "metrics", "outputs")


def page_manifest(manifest: dict) -> dict:
    return {key: manifest.get(key) for key in PAGE_MANIFEST_KEYS}


def other_page_models(config) -> dict:
    """{name: {manifest, url}} of the lighter and the crowd model (other_model), for the page to run
    as it runs its own: with their manifests at hand and their files under their versions. Read
    once, at start-up (create_app)."""
    names = [config[key] for key in ("PAGE_LIGHT_MODEL", "PAGE_CROWD_MODEL") if config[key]]
    models = {name: model_files.requested_page_model(name, config["MODEL_DIR"]) for name in names}
    return {name: {"manifest": page_manifest(m["manifest"]), "url": m["url"]} for name, m in models.items() if m}


def other_model(config, key) -> str:
    """The model that setting `key` names when it is served beside the page's own and is not that
    one, else ''. Read once, at start-up (create_app): LIGHT_MODEL, the model the page's `auto` mode
    turns to when the browser is too slow for the server's (FER_LIGHT_MODEL); CROWD_MODEL, the one it
    classifies with when many faces are in view (FER_CROWD_MODEL)."""
    name = config[key]
    served = name in model_files.model_dirs(config["MODEL_DIR"]) if model_files.NAME.match(name or "") else False
    return name if served and name != config["PAGE_MODEL"]["name"] else ""


@bp.get("/vendor/<path:path>")
def vendor(path):
    """A file of an allow-listed npm package."""
    normalised = posixpath.normpath(path)
    if ".." in normalised.split("/") or not any(normalised.startswith(p + "/") for p in VENDOR_PACKAGES):
        abort(404, f"/vendor/ serves only the packages {', '.join(VENDOR_PACKAGES)}; got {path!r}")
    package = next(p for p in VENDOR_PACKAGES if normalised.startswith(p + "/"))
    pinned = request.args.get("v") is not None and request.args.get("v") == vendor_versions().get(package)
    response = send_from_directory(NODE_MODULES, normalised, max_age=VENDOR_MAX_AGE)
    return cache_for_good(response) if pinned else response


def cache_versioned_static(response):
    """after_request hook: a file of static/ asked for under its current version (the page names its
    one-file build and its stylesheet so) is kept for good; the modules, unversioned, are revalidated."""
    if request.endpoint == "static" and response.status_code == 200 and request.args.get("v"):
        path = safe_join(current_app.static_folder, request.view_args["filename"])
        if path and Path(path).is_file() and asked_for(path):
            cache_for_good(response)
    return response

"""/models/<name>/<path>: an exported model's manifest and the files of its formats (TF.js graph
models and shards, TFLite). Anything else in the folder (SavedModel, reports, test data) stays private.
/detectors/<name>/<path>: the same for the face detectors built for the page (converters/face_detector.py).

Exports reuse the same file names, so files are revalidated on each use (ETag, `no-cache`) rather
than cached blind: a browser re-downloads only after the model really changed. The TF.js files the
page loads are named to it with the version of their content (server/file_versions.py; TF.js asks
for the shards with model.json's query): under that version browsers keep them for good.
"""
import json
import posixpath
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from converters.manifest import MANIFEST_NAME, page_format, read_manifest
from server.config import DEFAULTS, ROOT
from server.file_versions import asked_for, cache_for_good, versioned

bp = Blueprint("model_files", __name__)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Built by `make setup` (python -m converters.face_detector): one folder per BlazeFace variant.
FACE_DETECTORS_DIR = ROOT / "models" / "face_detectors"
# The page runs the server's detector where it is a BlazeFace (both modes then box the same faces);
# with Haar on the server, the page runs the default BlazeFace.
PAGE_DEFAULT_DETECTOR = DEFAULTS["DETECTOR"]


def model_dirs(served_dir=None) -> dict:
    """{name: folder} of servable models: the folders beside the served one (`served_dir`, else the
    app's MODEL_DIR), and the served one."""
    served = Path(served_dir or current_app.config["MODEL_DIR"]).resolve()
    dirs = {p.name: p for p in served.parent.iterdir() if (p / MANIFEST_NAME).is_file()}
    dirs[served.name] = served
    return dirs


def public_files(manifest: dict) -> set:
    """The manifest, plus every exported file that belongs to one of the manifest's formats."""
    public = {MANIFEST_NAME}
    for fmt in manifest.get("formats", {}).values():
        folder = fmt["path"].rsplit("/", 1)[0] + "/" if "/" in fmt["path"] else None
        public |= {f for f in manifest.get("files", {}) if f == fmt["path"] or (folder and f.startswith(folder))}
    return public


def page_detector(server_detector: str, root=FACE_DETECTORS_DIR):
    """What the page needs of its face detector: {name, url, size, min_score, nms_iou}, or None
    when the detector has not been built (the page then says so)."""
    name = server_detector if (Path(root) / server_detector / MANIFEST_NAME).is_file() else PAGE_DEFAULT_DETECTOR
    try:
        manifest = read_manifest(Path(root) / name)
    except (OSError, ValueError):
        return None
    model_json = manifest["formats"]["tfjs"]["path"]
    files = tfjs_urls(Path(root) / name, model_json, f"/detectors/{name}")
    return {"name": name, "url": files[0], "files": files,
            "size": manifest["input"]["size"], "min_score": manifest["min_score"], "nms_iou": manifest["nms_iou"]}


def tfjs_files(folder: Path, model_json: str) -> list:
    """A TF.js graph model's files under `folder`: model.json (its path in the folder), then its weight shards."""
    shards = [p for group in json.loads((Path(folder) / model_json).read_text())["weightsManifest"] for p in group["paths"]]
    subfolder = model_json.rsplit("/", 1)[0] + "/" if "/" in model_json else ""
    return [model_json, *(subfolder + shard for shard in shards)]


def tfjs_urls(folder: Path, model_json: str, url_base: str) -> list:
    """URLs of a TF.js graph model's files, model.json first, then its weight shards: what the page
    fetches to run it, so that it can start fetching them while TF.js itself loads. Each carries
    the version of all of them (TF.js asks for the shards with model.json's query)."""
    files = tfjs_files(folder, model_json)
    return [versioned(f"{url_base}/{path}", *(Path(folder) / f for f in files)) for path in files]


def page_model(folder: Path) -> dict:
    """What the page needs to run a served model in the browser, read from its manifest: {name (the
    folder's, as /models/ and ?model= name it), manifest, url (its TF.js model.json), files (that
    model.json and its shards, for the page's <head> to preload)}."""
    folder = Path(folder).resolve()
    manifest = read_manifest(folder)
    model_json = manifest["formats"][page_format(manifest)]["path"]
    files = tfjs_urls(folder, model_json, f"/models/{folder.name}")
    return {"name": folder.name, "manifest": manifest, "url": files[0], "files": files}


def requested_page_model(name: str, served_dir=None):
    """page_model() of the served model that `?model=name` names, or None when none is called so (the
    page then asks /models/<name>/manifest.json itself, and shows the server's answer). `served_dir`:
    as model_dirs() takes it (at start-up, before there is an app to ask)."""
    folder = model_dirs(served_dir).get(name) if NAME.match(name or "") else None
    if folder is None:
        return None
    try:
        return page_model(folder)
    except (OSError, KeyError, ValueError):  # no TF.js format, or a manifest that does not parse
        return None


def version_group(folder: Path, manifest: dict, path: str) -> list:
    """The files whose version a URL of `path` carries: its TF.js graph model's (model.json and its
    shards) when it is one of them, else none (the file is not served under a version). Only the
    model.json in `path`'s own folder is read."""
    for fmt in manifest.get("formats", {}).values():
        model_json = fmt["path"]
        if model_json.endswith("model.json") and posixpath.dirname(model_json) == posixpath.dirname(path):
            files = tfjs_files(folder, model_json)
            return [Path(folder) / f for f in files] if path in files else []
    return []


def send_public_file(folder: Path, path: str, what: str):
    """A file listed in the folder's manifest: kept for good under its current version, else
    revalidated on each use."""
    manifest = read_manifest(folder)
    if path not in public_files(manifest):
        abort(404, f"{path!r} is not a published file of {what}")
    response = send_from_directory(folder, path, max_age=0)
    group = version_group(folder, manifest, path)
    if group and asked_for(*group):
        return cache_for_good(response)
    response.cache_control.no_cache = True
    response.cache_control.public = True
    return response


@bp.get("/models/<name>/<path:path>")
def model_file(name, path):
    model_dir = model_dirs().get(name) if NAME.match(name) else None
    if model_dir is None:
        abort(404, f"no model called {name!r}")
    return send_public_file(model_dir, path, f"model {name!r}")


@bp.get("/detectors/<name>/<path:path>")
def detector_file(name, path):
    folder = FACE_DETECTORS_DIR / name
    if not NAME.match(name) or not (folder / MANIFEST_NAME).is_file():
        abort(404, f"no face detector called {name!r} (built by `make setup`: python -m converters.face_detector)")
    return send_public_file(folder, path, f"face detector {name!r}")

"""/models/<name>/<path>: an exported model's manifest and the files of its formats (TF.js graph
models and shards, TFLite). Anything else in the folder (SavedModel, reports, test data) stays private.

Exports reuse the same file names, so files are revalidated on each use (ETag, `no-cache`) rather
than cached blind: a browser re-downloads only after the model really changed.
"""
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from converters.manifest import MANIFEST_NAME, read_manifest

bp = Blueprint("model_files", __name__)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def model_dirs() -> dict:
    """{name: folder} of servable models: the folders beside the served one, and the served one."""
    served = Path(current_app.config["MODEL_DIR"]).resolve()
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


@bp.get("/models/<name>/<path:path>")
def model_file(name, path):
    model_dir = model_dirs().get(name) if NAME.match(name) else None
    if model_dir is None:
        abort(404, f"no model called {name!r}")
    if path not in public_files(read_manifest(model_dir)):
        abort(404, f"{path!r} is not a published file of model {name!r}")
    response = send_from_directory(model_dir, path, max_age=0)
    response.cache_control.no_cache = True
    response.cache_control.public = True
    return response

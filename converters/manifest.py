"""The manifest next to each exported model: the one place the server and the page read labels,
input shape, preprocessing constants, metrics, provenance and file checksums from."""
import datetime
import hashlib
import json
from pathlib import Path

from training.preprocessing import SPEC

MANIFEST_NAME = "manifest.json"
CARD_NAME = "MODEL_CARD.md"  # converters.model_card writes it after the manifest


def file_entry(path: Path) -> dict:
    """Size in bytes and sha256 of one file."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def refresh_files(manifest: dict, out_dir: Path):
    """Set `files` (size and sha256 of every file in `out_dir`) and each format's `bytes` (the sum of
    its files: model.json and shards) from what is on disk now."""
    out_dir = Path(out_dir)
    files = {str(p.relative_to(out_dir)): file_entry(p)  # not the manifest, nor the card written from it
             for p in sorted(out_dir.rglob("*")) if p.is_file() and p.name not in (MANIFEST_NAME, CARD_NAME)}
    for fmt in manifest["formats"].values():
        prefix = fmt["path"].rsplit("/", 1)[0] + "/" if "/" in fmt["path"] else fmt["path"]
        fmt["bytes"] = sum(f["bytes"] for rel, f in files.items() if rel == fmt["path"] or rel.startswith(prefix))
    manifest["files"] = files


def build_manifest(out_dir: Path, name: str, architecture: str, formats: dict, metrics: dict, training: dict,
                   test_time_augmentation="none", outputs=None, single_view=None) -> dict:
    """Assemble the manifest for the files already written in `out_dir`. `outputs`: the TF.js graphs'
    output nodes, {"views": node, "single": node}; `single_view`: which training.tta.single_view the
    "single" node computes (None when the graph has no views, and both names are the one output)."""
    manifest = {
        "name": name,
        "architecture": architecture,
        "created": datetime.date.today().isoformat(),
        "labels": SPEC["labels"],
        "input": {
            "shape": [*SPEC["input_size"], SPEC["channels"]],
            "layout": "NHWC",
            "gray_weights": SPEC["gray_weights"],
            "scale": SPEC["scale"],
            "offset": SPEC["offset"],
            "resize": SPEC["resize"],
            # Detector boxes become square crops of side max(w, h) * crop_scale, centred on the box.
            "crop_scale": SPEC["crop_scale"],
            # Per detector, the crop (scale, and centre offset as a fraction of the side) that gives
            # its boxes the training faces' framing: measured by bench.framing.
            "framing": SPEC.get("framing", {}),
            # Whether crops turn with the face so that its eyes come out level, as in the training
            # faces (BlazeFace gives the eyes; bench.levelling measures what it is worth).
            "level_eyes": SPEC.get("level_eyes", False),
            "formula": "gray(RGB) resized to shape, then value / scale + offset",
        },
        "output": "probabilities over labels, softmax",
        # "flip": the graph itself averages each face with its mirror image; "smooth_flip": it softens
        # the face slightly first (training/tta.py).
        "test_time_augmentation": test_time_augmentation,
        # The TF.js graphs' output nodes, for GraphModel.execute(x, node): "views", the probabilities
        # with the test-time views above (also the default output); "single", one pass per face
        # (`single_view`: "smooth", softened as the views soften it, no mirror; "plain", the face as it
        # is; same weights and temperature, half the compute).
        # Each computes only what it needs. The TFLite files have the views' output only.
        "outputs": outputs,
        "single_view": single_view,
        # The TF.js files the page loads: float32 until converters.browser_formats has measured the others.
        "browser_format": "tfjs",
        "formats": formats,
        "metrics": metrics,
        "training": training,
    }
    refresh_files(manifest, out_dir)
    return manifest


def page_format(manifest: dict) -> str:
    """The format name of the TF.js files the page loads (static/js/boot.js reads the same field)."""
    return manifest.get("browser_format", "tfjs")  # manifests written before the field was added name none


def write_manifest(out_dir: Path, manifest: dict):
    (Path(out_dir) / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def read_manifest(model_dir) -> dict:
    """Load `manifest.json` from an exported model folder."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path}: no manifest; export the model with `python -m converters.export`")
    return json.loads(path.read_text())

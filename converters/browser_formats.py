"""The TF.js exports of a model, and the one the page loads.

    python -m converters.browser_formats models/default     # add missing TF.js formats, choose again

One graph, three encodings of its weights: float32, float16 (half the download) and uint8 (a
quarter; TF.js scales them back to float32 when it loads them, so the arithmetic is float32 in
every case). Quantised weights move the probabilities a little, and how much that costs differs by
model: on PublicTest the default ResNet keeps its accuracy within two faces at uint8, where the
small mini-Xception loses nine. So each export measures every TF.js format on PublicTest (the
selection split) in TF.js itself, in Node, and the manifest's `browser_format` is the smallest one
whose accuracy is at most MAX_ACCURACY_LOSS below float32's. Without PublicTest faces nothing is
measured and the page loads float32.
"""
import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

WEIGHT_ENCODINGS = {  # format name -> (the converter's quantization map, the manifest's dtype)
    "tfjs": (None, "float32"),
    "tfjs_float16": ({"float16": "*"}, "float16 weights"),
    "tfjs_uint8": ({"uint8": "*"}, "uint8 weights"),
}
MAX_ACCURACY_LOSS = 0.002  # of PublicTest accuracy: 7 of its 3,589 faces


def export_tfjs(saved_model: Path, out_dir: Path, name="tfjs") -> Path:
    """Convert the SavedModel to the TF.js graph model `name` under `out_dir`; returns its model.json."""
    # Graph model, not layers model: TF.js 4.22 cannot read Keras 3 layer configs.
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as tfjs_convert

    path = Path(out_dir) / name
    shutil.rmtree(path, ignore_errors=True)
    tfjs_convert.convert_tf_saved_model(str(saved_model), str(path), signature_def="serve", saved_model_tags="serve",
                                        quantization_dtype_map=WEIGHT_ENCODINGS[name][0])
    return path / "model.json"


def format_entry(out_dir: Path, model_json: Path, name: str) -> dict:
    return {"path": str(model_json.relative_to(out_dir)), "runtime": "tfjs", "dtype": WEIGHT_ENCODINGS[name][1]}


def choose_browser_format(out_dir: Path, formats: dict, public=None) -> str:
    """Measure each TF.js format on `public` (a Split) in TF.js and record `public_accuracy` in its
    entry; return the smallest format within MAX_ACCURACY_LOSS of float32. `formats` entries need
    `bytes` (manifest.refresh_files). Without `public`: "tfjs"."""
    from converters.runtimes import run_tfjs_node
    from training.preprocessing import preprocess_batch

    names = [name for name in WEIGHT_ENCODINGS if name in formats]
    if public is None or not len(public):
        return "tfjs"
    x = preprocess_batch(public.x)
    for name in names:
        probabilities = run_tfjs_node(Path(out_dir) / formats[name]["path"], x, backend="wasm")["probabilities"]
        formats[name]["public_accuracy"] = round(float(np.mean(probabilities.argmax(1) == public.y)), 4)
    return smallest_within_loss(formats)


def smallest_within_loss(formats: dict) -> str:
    """The rule: of the measured TF.js formats, the smallest at most MAX_ACCURACY_LOSS below float32."""
    measured = [name for name in WEIGHT_ENCODINGS if "public_accuracy" in formats.get(name, {})]
    floor = formats["tfjs"]["public_accuracy"] - MAX_ACCURACY_LOSS
    good = [name for name in measured if formats[name]["public_accuracy"] >= floor - 1e-9]
    return min(good, key=lambda name: formats[name]["bytes"])


def update_export(model_dir, data) -> dict:
    """Add the TF.js formats an export lacks (from its saved_model/), measure them all and choose
    again; the rest of the manifest (metrics, provenance) stays. Returns the manifest."""
    from converters.manifest import read_manifest, refresh_files, write_manifest
    from training.data import load

    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    for name in WEIGHT_ENCODINGS:
        if name not in manifest["formats"]:
            model_json = export_tfjs(model_dir / "saved_model", model_dir, name)
            manifest["formats"][name] = format_entry(model_dir, model_json, name)
    refresh_files(manifest, model_dir)
    manifest["browser_format"] = choose_browser_format(model_dir, manifest["formats"], load(data).get("PublicTest"))
    write_manifest(model_dir, manifest)
    return manifest


def main(argv=None):
    from training.data import DEFAULT_DATA

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_dir", nargs="+", help="exported model folders (with manifest.json and saved_model/)")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013, for its PublicTest faces")
    args = p.parse_args(argv)
    for model_dir in args.model_dir:
        manifest = update_export(model_dir, args.data)
        sizes = ", ".join(f"{name} {manifest['formats'][name]['bytes'] / 1e6:.2f} MB "
                          f"{manifest['formats'][name].get('public_accuracy', float('nan')):.2%}"
                          for name in WEIGHT_ENCODINGS)
        print(f"{model_dir}: {sizes}; the page loads {manifest['browser_format']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

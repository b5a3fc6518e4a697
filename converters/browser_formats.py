"""The TF.js exports of a model, and the one the page loads.

    python -m converters.browser_formats models/resnet_slim    # add missing TF.js formats, choose again

One graph, three encodings of its weights: float32, float16 (half the download) and uint8 (a
quarter; TF.js scales them back to float32 when it loads them, so the arithmetic is float32 in
every case). Quantised weights move the probabilities a little, and how much that costs differs by
model: on PublicTest the default ResNet keeps its accuracy within two faces at uint8, where the
small mini-Xception loses nine. So each export measures every TF.js format on PublicTest (the
selection split) in TF.js itself, in Node, and the manifest's `browser_format` is the smallest one
whose accuracy is at most MAX_ACCURACY_LOSS below float32's. Without PublicTest faces nothing is
measured and the page loads float32.

A model with test-time views in its graph is converted from the SavedModel's BROWSER_ENDPOINT
(converters.export writes it), whose graph has two outputs over the same weights: the views'
average and one pass per face (training.tta.single_view). The signature keeps the views as
the default output, so `model.execute(x)` is what it was; `model.execute(x, node)` with a node name
from the model.json's `userDefinedMetadata.outputs` (copied into the manifest's `outputs`) computes
only what that output needs, so the single view costs one pass per face, not two. The converter
folds the batch norms into each use of a convolution, which writes every weight twice;
`share_weights` keeps one copy and points both uses at it.
"""
import argparse
import hashlib
import json
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
# The SavedModel endpoint with both outputs; "serve" has the views alone (as "output_0"). Its keys,
# by output: "output_0" sorts first, so the views keep the node name (Identity) and the signature key
# they had when they were the only output.
BROWSER_ENDPOINT = "serve_browser"
BROWSER_KEYS = {"views": "output_0", "single": "output_1"}
OUTPUTS = tuple(BROWSER_KEYS)
SHARD_BYTES = 4 * 1024 * 1024  # the converter's own shard size
_BYTES_PER_VALUE = {"float32": 4, "int32": 4, "float16": 2, "uint8": 1, "bool": 1}


def export_tfjs(saved_model: Path, out_dir: Path, name="tfjs") -> Path:
    """Convert the SavedModel to the TF.js graph model `name` under `out_dir`; returns its model.json.
    From BROWSER_ENDPOINT when the SavedModel has it (two outputs, see the module's docstring), else
    from "serve" (one output, for both names in `userDefinedMetadata.outputs`)."""
    # Graph model, not layers model: TF.js 4.22 cannot read Keras 3 layer configs.
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as tfjs_convert

    path = Path(out_dir) / name
    shutil.rmtree(path, ignore_errors=True)
    endpoint = BROWSER_ENDPOINT if BROWSER_ENDPOINT in _signatures(saved_model) else "serve"
    tfjs_convert.convert_tf_saved_model(str(saved_model), str(path), signature_def=endpoint, saved_model_tags="serve",
                                        quantization_dtype_map=WEIGHT_ENCODINGS[name][0])
    model_json = path / "model.json"
    model = json.loads(model_json.read_text())
    nodes = _output_nodes(saved_model, endpoint)
    if endpoint == BROWSER_ENDPOINT:
        # The signature names the views alone, so that execute(x) and predict(x) return one tensor as before.
        views = nodes["views"] + ":0"
        entry = next(e for e in model["signature"]["outputs"].values() if e["name"] == views)
        model["signature"]["outputs"] = {BROWSER_KEYS["views"]: entry}
        share_weights(model, path)
    model.setdefault("userDefinedMetadata", {})["outputs"] = nodes
    model_json.write_text(json.dumps(model))
    return model_json


def _signatures(saved_model: Path) -> set:
    from tensorflow.python.tools import saved_model_utils

    meta_graph = saved_model_utils.get_meta_graph_def(str(saved_model), "serve")
    return set(meta_graph.signature_def)


def _output_nodes(saved_model: Path, endpoint: str) -> dict:
    """{"views": node, "single": node} of the converted graph. The converter names its outputs after
    the endpoint's function outputs (Identity, Identity_1, ...), in the order TensorFlow flattens a
    dict: by sorted key (BROWSER_KEYS)."""
    import tensorflow as tf

    function = tf.saved_model.load(str(saved_model)).signatures[endpoint]
    names = [t.name.split(":")[0] for t in function.outputs]
    structure = function.structured_outputs
    if endpoint != BROWSER_ENDPOINT:
        if len(names) != 1:
            raise ValueError(f"{saved_model}: endpoint {endpoint!r} has {len(names)} outputs; expected one")
        return {key: names[0] for key in OUTPUTS}
    if not isinstance(structure, dict) or sorted(structure) != sorted(BROWSER_KEYS.values()):
        raise ValueError(f"{saved_model}: endpoint {endpoint} returns {structure!r}; expected the keys "
                         f"{sorted(BROWSER_KEYS.values())}")
    by_key = dict(zip(sorted(structure), names))
    return {output: by_key[key] for output, key in BROWSER_KEYS.items()}


def share_weights(model: dict, folder: Path):
    """Keep one copy of each weight the converter wrote several times (identical name-less bytes,
    shape, dtype and quantisation), point every node that read a copy at the kept one, and rewrite the
    shards. `model`: the parsed model.json in `folder` (changed in place; the caller writes it)."""
    groups = model["weightsManifest"]
    data = b"".join((folder / p).read_bytes() for group in groups for p in group["paths"])
    kept, chunks, renamed, offset = {}, [], {}, 0
    for spec in (w for group in groups for w in group["weights"]):
        quantization = spec.get("quantization")
        size = int(np.prod(spec["shape"], dtype=np.int64)) * _BYTES_PER_VALUE[
            quantization["dtype"] if quantization else spec["dtype"]]
        chunk = data[offset:offset + size]
        offset += size
        key = (hashlib.sha256(chunk).hexdigest(), tuple(spec["shape"]), spec["dtype"],
               json.dumps(quantization, sort_keys=True))
        if key in kept:
            renamed[spec["name"]] = kept[key]["name"]
        else:
            kept[key] = spec
            chunks.append(chunk)
    if offset != len(data):
        raise ValueError(f"{folder}: the shards hold {len(data)} bytes, the weights {offset}")
    if not renamed:
        return
    graph = model["modelTopology"]
    graph["node"] = [node for node in graph["node"] if node["name"] not in renamed]
    for node in graph["node"]:
        node["input"] = [_renamed_input(i, renamed) for i in node.get("input", [])]
    for group in groups:
        for p in group["paths"]:
            (folder / p).unlink()
    data = b"".join(chunks)
    count = max(1, -(-len(data) // SHARD_BYTES))
    paths = [f"group1-shard{i + 1}of{count}.bin" for i in range(count)]
    for i, p in enumerate(paths):
        (folder / p).write_bytes(data[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
    model["weightsManifest"] = [{"paths": paths, "weights": list(kept.values())}]


def _renamed_input(name: str, renamed: dict) -> str:
    """A node input ("w", "w:0" or "^w") with its weight's name replaced by the kept copy's."""
    control = name.startswith("^")
    base, colon, port = name.lstrip("^").partition(":")
    return ("^" if control else "") + renamed.get(base, base) + colon + port


def output_nodes(model_json: Path) -> dict:
    """{"views": node, "single": node} recorded in an exported model.json (both the one node for a
    model without views in its graph, or one converted before the single view existed)."""
    model = json.loads(Path(model_json).read_text())
    nodes = model.get("userDefinedMetadata", {}).get("outputs")
    if nodes:
        return nodes
    only = next(iter(model["signature"]["outputs"].values()))["name"].split(":")[0]
    return {key: only for key in OUTPUTS}


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
    outputs = {json.dumps(output_nodes(model_dir / manifest["formats"][name]["path"]), sort_keys=True)
               for name in WEIGHT_ENCODINGS}
    if len(outputs) != 1:
        raise ValueError(f"{model_dir}: the TF.js formats have different output nodes ({sorted(outputs)}); "
                         "export the model again")
    manifest["outputs"] = json.loads(outputs.pop())
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

"""Run exported models outside Keras: TensorFlow Lite in Python (server.tflite's wrapper, the one in the
project), TF.js in Node (converters/tfjs_node.mjs)."""
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from server.tflite import TFLiteModel, make_tflite_interpreter  # noqa: F401  (the converters' and benches' import)

TFJS_NODE_SCRIPT = Path(__file__).with_name("tfjs_node.mjs")


def run_tfjs_node(model_json, x: np.ndarray, backend="wasm", repeat=0, output=None) -> dict:
    """Run a TF.js graph model in Node on faces `x`; returns {probabilities, ms_per_face_batch1, backend}.
    `output`: an output node name (the manifest's `outputs`); None: the signature's default output."""
    x = np.ascontiguousarray(x, dtype="<f4")
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        x.tofile(f.name)
        done = subprocess.run(
            ["node", str(TFJS_NODE_SCRIPT), str(model_json), f.name, str(len(x)), "--backend", backend,
             "--repeat", str(repeat), *(["--output", output] if output else [])],
            capture_output=True, text=True, cwd=TFJS_NODE_SCRIPT.parents[1], timeout=600,
        )
    if done.returncode != 0:
        raise RuntimeError(f"tfjs_node.mjs failed: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["probabilities"] = np.asarray(result["probabilities"], np.float32)
    return result

"""Run exported models outside Keras: TensorFlow Lite in Python, TF.js in Node (converters/tfjs_node.mjs)."""
import json
import os
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np

TFJS_NODE_SCRIPT = Path(__file__).with_name("tfjs_node.mjs")


def make_tflite_interpreter(path, num_threads=1):
    """A TFLite interpreter with tensors allocated: the standalone LiteRT runtime when installed (the
    lighter of the two), else TensorFlow's. XNNPACK is applied by default to float ops."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of logs
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():  # tf.lite.Interpreter warns that LiteRT will replace it
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter


class TFLiteModel:
    """A .tflite classifier with float input; `predict(x)` takes (N, 48, 48, 1) float32 in [-1, 1]."""

    def __init__(self, path, num_threads=1):
        # One thread is the phone/IoT-like figure.
        self.interpreter = make_tflite_interpreter(path, num_threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate([self.predict_one(face[None]) for face in np.asarray(x, np.float32)])

    def predict_one(self, x: np.ndarray) -> np.ndarray:
        """Batch of one (1, 48, 48, 1) -> (1, classes)."""
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"]).copy()


def run_tfjs_node(model_json, x: np.ndarray, backend="wasm", repeat=0) -> dict:
    """Run a TF.js graph model in Node on faces `x`; returns {probabilities, ms_per_face_batch1, backend}."""
    x = np.ascontiguousarray(x, dtype="<f4")
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        x.tofile(f.name)
        done = subprocess.run(
            ["node", str(TFJS_NODE_SCRIPT), str(model_json), f.name, str(len(x)), "--backend", backend,
             "--repeat", str(repeat)],
            capture_output=True, text=True, cwd=TFJS_NODE_SCRIPT.parents[1], timeout=600,
        )
    if done.returncode != 0:
        raise RuntimeError(f"tfjs_node.mjs failed: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["probabilities"] = np.asarray(result["probabilities"], np.float32)
    return result

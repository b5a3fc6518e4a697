"""TensorFlow Lite models, for the server and for the converters' checks: the one wrapper of a TFLite
interpreter in the project.

The interpreter comes from LiteRT (`ai-edge-litert`, a few MB, what `pip install .[serve]` brings),
else from TensorFlow when that is what is installed; serving never needs TensorFlow.
"""
import os
import warnings

import numpy as np

from server.concurrency import os_lock


def make_tflite_interpreter(path, num_threads=1):
    """A TFLite interpreter with tensors allocated: the standalone LiteRT runtime when installed (the
    lighter of the two), else TensorFlow's. XNNPACK is applied by default to float ops."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of logs
        try:
            import tensorflow as tf
        except ImportError:
            raise ImportError("running a .tflite model needs LiteRT (pip install ai-edge-litert, part of "
                              "`pip install .[serve]`) or TensorFlow") from None
        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():  # tf.lite.Interpreter warns that LiteRT will replace it
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter


class TFLiteModel:
    """A single-input TFLite model. `run(x)` returns its outputs by name for one input batch;
    `predict(x)` runs a classifier face by face and returns its first output, stacked. Safe to call
    from threads: an interpreter holds its tensors in place, so calls are serialised."""

    def __init__(self, path, num_threads=1):
        """`num_threads`: 1 by default, the phone/IoT-like figure and what a server shared by
        clients wants."""
        self.interpreter = make_tflite_interpreter(path, num_threads)
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = self.interpreter.get_output_details()
        self.output = self.outputs[0]
        self.input_shape = tuple(int(d) for d in self.input["shape"])
        self._lock = os_lock()

    def run(self, x: np.ndarray) -> dict:
        """Invoke on one input batch shaped like `input_shape`; returns {output name: array copy}."""
        x = np.asarray(x, dtype=self.input["dtype"])
        if x.shape != self.input_shape:
            raise ValueError(f"expected model input of shape {self.input_shape}, got {x.shape}")
        with self._lock:
            self.interpreter.set_tensor(self.input["index"], x)
            self.interpreter.invoke()
            return {d["name"]: self.interpreter.get_tensor(d["index"]).copy() for d in self.outputs}

    def predict_one(self, x: np.ndarray) -> np.ndarray:
        """A batch of one, e.g. (1, 48, 48, 1) -> the first output, e.g. (1, classes)."""
        return self.run(x)[self.output["name"]]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N, ...) inputs, run one at a time -> (N, ...) first outputs."""
        return np.concatenate([self.predict_one(one[None]) for one in np.asarray(x, np.float32)])

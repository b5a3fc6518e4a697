"""One place that builds a TensorFlow Lite interpreter and runs it under a real OS lock."""
import os
import warnings

import numpy as np

from server.concurrency import os_lock


def _interpreter_class():
    try:  # the standalone LiteRT runtime, if installed, is the lighter of the two
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter
    except ImportError:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log
        import tensorflow as tf
        return tf.lite.Interpreter


class TFLiteModel:
    """A single-input TFLite model; `run(x)` returns its outputs by name. Safe to call from threads:
    an interpreter holds its tensors in place, so calls are serialised."""

    def __init__(self, path, num_threads=1):
        with warnings.catch_warnings():  # tf.lite.Interpreter warns that LiteRT will replace it
            warnings.simplefilter("ignore")
            self.interpreter = _interpreter_class()(model_path=str(path), num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = self.interpreter.get_output_details()
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

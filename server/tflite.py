"""A TensorFlow Lite model for the server: the interpreter from converters.runtimes, run under a real OS lock."""
import numpy as np

from converters.runtimes import make_tflite_interpreter
from server.concurrency import os_lock


class TFLiteModel:
    """A single-input TFLite model; `run(x)` returns its outputs by name. Safe to call from threads:
    an interpreter holds its tensors in place, so calls are serialised."""

    def __init__(self, path, num_threads=1):
        self.interpreter = make_tflite_interpreter(path, num_threads)
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

"""Temperature scaling (Guo et al. 2017): honest confidence from one number fitted after training.

A network trained on noisy labels is often over- or under-confident: "0.9 happy" should be right
nine times in ten. Dividing the log-probabilities by a temperature T (softmax(log p / T)) changes
no label, only how sure each one looks; T is fitted on the selection split (PublicTest), never on
a test split. The `Temperature` layer puts it inside the exported graph, so the browser and the
server get the same calibrated probabilities with no code, and the manifest records T.
"""
import keras
import numpy as np
from keras import layers, ops

EPSILON = 1e-7  # a probability that underflowed to 0 would have log -inf


def apply_temperature(probabilities, temperature) -> np.ndarray:
    """softmax(log p / T) in NumPy, for fitting and for checking the layer."""
    logits = np.log(np.asarray(probabilities, np.float64) + EPSILON) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def fit_temperature(probabilities, y_true, low=0.25, high=4.0, steps=60) -> float:
    """The T that minimises the negative log-likelihood of `y_true`: golden-section search in log T
    (the NLL is convex in 1/T, so one minimum)."""
    y_true = np.asarray(y_true)

    def nll(log_t):
        p = apply_temperature(probabilities, np.exp(log_t))
        return -np.mean(np.log(p[np.arange(len(y_true)), y_true] + EPSILON))

    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(steps):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        a, b = (a, d) if nll(c) < nll(d) else (c, b)
    return float(np.exp((a + b) / 2))


@keras.saving.register_keras_serializable(package="realtime_fer")
class Temperature(layers.Layer):
    """Probabilities in, calibrated probabilities out: softmax(log(p + eps) / temperature)."""

    def __init__(self, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)

    def call(self, p):
        return ops.softmax(ops.log(p + EPSILON) / self.temperature, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


def with_temperature(model: keras.Model, temperature: float) -> keras.Model:
    """`model` followed by a Temperature layer (the model itself when T is 1)."""
    if abs(temperature - 1.0) < 1e-6:
        return model
    inputs = keras.Input(model.input_shape[1:], name="face")
    outputs = Temperature(temperature, name="temperature", dtype="float32")(model(inputs))
    return keras.Model(inputs, outputs, name=f"{model.name}_calibrated")


def graph_temperature(model: keras.Model) -> float:
    """The temperature inside `model`'s graph (1.0 when it has none)."""
    for layer in model.layers:
        if isinstance(layer, Temperature):
            return layer.temperature
    return 1.0

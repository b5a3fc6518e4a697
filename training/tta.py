"""Test-time augmentation baked into the model graph.

`with_tta(model, "flip")` returns a model with the same input and output as `model` that averages
the probabilities of each face and its mirror image; "smooth_flip" first softens a sharp face
slightly (see SmoothFace). Because it is part of the graph, every export (TF.js, TFLite) and every
runtime (browser, server, benchmarks) gets the same views from one place, and nobody has to
reimplement them in JavaScript.

The face and its mirror go through the network as one batch of 2N, not as two calls: a batch of
two costs less than two batches of one on CPU, and a graph model needs no Python loop.
"""
import keras
import numpy as np
from keras import layers, ops

TTA_CHOICES = ("none", "flip", "smooth_flip")  # the --tta values of training.evaluate and converters.export
# The one-pass views of an export with views in its graph (single_view): the face as it is, or softened
# as smooth_flip softens it, without the mirror. The exported TF.js graph computes SINGLE_VIEW beside
# the views' average, as a second output the page can ask for instead (converters.export). "smooth":
# on FER+ PrivateTest 82.44% (macro-F1 0.710) against plain's 81.99% (0.695), FER2013 PrivateTest
# 59.60% both (0.517 against 0.511), SFEW test 50.25% against 50.50% (one face); the views 83.04%,
# 59.88%, 51.76% (docs/benchmarks.md, "Single view").
SINGLE_VIEWS = ("plain", "smooth")
SINGLE_VIEW = "smooth"
# Gaussian sigma in pixels: chosen on PublicTest among 0.5 to 1.2 (README, "Test-time augmentation").
SMOOTH_SIGMA = 0.6
SMOOTH_RADIUS = 2  # taps each side; for sigma up to 1 the weights left out are under 1%
# Sharpness (mean |face - smoothed face| on the [-1, 1] scale) below which a face is left as it is
# and above which it is smoothed fully, linear between: a face blurred with sigma 1 measures about
# 0.017, a clean FER2013 Training face 0.046 at its lower quartile. Softening an already soft face
# cost 4.5 points on blurred faces (README, "Robustness").
SHARPNESS_RANGE = (0.015, 0.045)


def _replicate_edges(x, r, axis):
    """`x` with its first and last row (axis 1) or column (axis 2) repeated `r` times outside.
    Concatenated edge slices rather than a pad op: TF, TFLite and TF.js all lack an "edge"
    (replicate) pad mode, and slices and concatenation convert everywhere."""
    first, last = (x[:, :1], x[:, -1:]) if axis == 1 else (x[:, :, :1], x[:, :, -1:])
    return ops.concatenate([first] * r + [x] + [last] * r, axis=axis)


def smoothing_taps(sigma=SMOOTH_SIGMA, radius=SMOOTH_RADIUS) -> np.ndarray:
    """The normalised 1-D Gaussian that SmoothFace applies along rows and then columns."""
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return (taps / taps.sum()).astype("float32")


@keras.saving.register_keras_serializable(package="realtime_fer")
class SmoothFace(layers.Layer):
    """A slight Gaussian blur with edge-replicated borders, for sharp faces only.

    Training augmentation rotates, shifts and zooms every face with bilinear resampling, which
    softens it; a clean test crop is sharper than anything the network saw. Softening it the same
    way recovers most of the gap (PublicTest 67.87% against 65.51% for the flip-averaged ResNet)
    without changing the face's scale, so loose detector boxes lose nothing (README). With
    `sharpness_range` (lo, hi), each face is blended towards its smoothed self by how sharp it is,
    so a face that is already soft (a blurry webcam) is not softened twice.
    """

    def __init__(self, sigma=SMOOTH_SIGMA, sharpness_range=None, **kwargs):
        super().__init__(**kwargs)
        self.sigma = sigma
        self.sharpness_range = tuple(sharpness_range) if sharpness_range else None

    def call(self, x):
        smoothed = self._blur(x)
        if self.sharpness_range is None:
            return smoothed
        lo, hi = self.sharpness_range
        sharpness = ops.mean(ops.abs(x - smoothed), axis=(1, 2, 3), keepdims=True)
        weight = ops.clip((sharpness - lo) / (hi - lo), 0.0, 1.0)
        return x + weight * (smoothed - x)

    def _blur(self, x):
        r = SMOOTH_RADIUS
        taps = smoothing_taps(self.sigma, r)
        channels = x.shape[-1]
        x = ops.depthwise_conv(_replicate_edges(x, r, axis=1),
                               np.tile(taps.reshape(-1, 1, 1, 1), (1, 1, channels, 1)), padding="valid")
        return ops.depthwise_conv(_replicate_edges(x, r, axis=2),
                                  np.tile(taps.reshape(1, -1, 1, 1), (1, 1, channels, 1)), padding="valid")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma, "sharpness_range": self.sharpness_range}


@keras.saving.register_keras_serializable(package="realtime_fer")
class StackMirror(layers.Layer):
    """(N, H, W, C) -> (2N, H, W, C): the faces, then the same faces mirrored left-right."""

    def call(self, x):
        return ops.concatenate([x, ops.flip(x, axis=2)], axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])


@keras.saving.register_keras_serializable(package="realtime_fer")
class MeanOfHalves(layers.Layer):
    """(2N, K) -> (N, K): the mean of row i and row N + i, i.e. of a face and its mirror."""

    def call(self, p):
        return ops.mean(ops.reshape(p, (2, -1, p.shape[-1])), axis=0)

    def compute_output_shape(self, input_shape):
        return (None, input_shape[-1])


def _all_layers(model: keras.Model):
    """Every layer of `model`, nested models' layers included (a calibrated export wraps its views)."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def graph_tta(model: keras.Model) -> str:
    """The test-time augmentation that `model`'s graph already does: one of TTA_CHOICES."""
    kinds = {type(layer) for layer in _all_layers(model)}
    if MeanOfHalves not in kinds:
        return "none"
    return "smooth_flip" if SmoothFace in kinds else "flip"


def inner_network(model: keras.Model) -> keras.Model:
    """The network inside an export made with test-time views or a temperature (the model itself if
    it wraps nothing), so an exported model can be trained further."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return inner_network(nested[0]) if len(nested) == 1 else model


def with_tta(model: keras.Model, tta) -> keras.Model:
    """`model` with the test-time augmentation named `tta` (one of TTA_CHOICES; None is "none").
    A model whose graph already does `tta` is returned as it is; one that does another is an error."""
    tta = tta or "none"
    if tta not in TTA_CHOICES:
        raise ValueError(f"unknown test-time augmentation {tta!r}; expected one of {', '.join(TTA_CHOICES)}")
    has = graph_tta(model)
    if tta == "none" or has == tta:
        return model
    if has != "none":
        raise ValueError(f"{model.name} already does {has} test-time augmentation in its graph; "
                         f"wrap the model without it, not this one")
    inputs = keras.Input(model.input_shape[1:], name="face")
    x = SmoothFace(sharpness_range=SHARPNESS_RANGE, name="smooth")(inputs) if tta == "smooth_flip" else inputs
    outputs = MeanOfHalves(name="flip_mean", dtype="float32")(model(StackMirror(name="flip_stack")(x)))
    return keras.Model(inputs, outputs, name=f"{model.name}_{tta}_tta")


def single_view(model: keras.Model, view=SINGLE_VIEW) -> keras.Model:
    """One pass per face through the network inside `model` (an export with test-time views and a
    temperature), with the same weights and the same temperature: `view` "plain" feeds the face as
    it is, "smooth" softens a sharp face first as smooth_flip does, without the mirror. Half the
    compute of the views (a batch of N instead of 2N)."""
    from training.calibration import Temperature, graph_temperature

    if view not in SINGLE_VIEWS:
        raise ValueError(f"unknown single view {view!r}; expected one of {', '.join(SINGLE_VIEWS)}")
    network = inner_network(model)
    temperature = graph_temperature(model)
    inputs = keras.Input(model.input_shape[1:], name="face")
    x = SmoothFace(sharpness_range=SHARPNESS_RANGE, name="smooth")(inputs) if view == "smooth" else inputs
    outputs = network(x)
    if abs(temperature - 1.0) >= 1e-6:
        outputs = Temperature(temperature, name="temperature", dtype="float32")(outputs)
    return keras.Model(inputs, outputs, name=f"{network.name}_{view}_view")

"""Flip test-time augmentation baked into the model graph.

`with_flip_tta(model)` returns a model with the same input and output as `model` that averages
the probabilities of each face and its mirror image. Because it is part of the graph, every
export (TF.js, TFLite) and every runtime (browser, server, benchmarks) gets the same averaging
from one place, and nobody has to reimplement it in JavaScript.

The face and its mirror go through the network as one batch of 2N, not as two calls: a batch of
two costs less than two batches of one on CPU, and a graph model needs no Python loop.
"""
import keras
from keras import layers, ops

TTA_CHOICES = ("none", "flip")  # the --tta values of training.evaluate and converters.export


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


def with_flip_tta(model: keras.Model) -> keras.Model:
    """`model` wrapped so that it predicts the mean over each face and its mirror image."""
    inputs = keras.Input(model.input_shape[1:], name="face")
    outputs = MeanOfHalves(name="flip_mean", dtype="float32")(model(StackMirror(name="flip_stack")(inputs)))
    return keras.Model(inputs, outputs, name=f"{model.name}_flip_tta")


def has_flip_tta(model: keras.Model) -> bool:
    """Whether `model` already averages over mirrored faces (so it must not be wrapped twice)."""
    return any(isinstance(layer, MeanOfHalves) for layer in model.layers)


def with_tta(model: keras.Model, tta) -> keras.Model:
    """`model` with the test-time augmentation named `tta` ("flip", or "none"/None for as is).
    A model that already averages mirrored faces is returned unwrapped."""
    if tta in (None, "none"):
        return model
    if tta != "flip":
        raise ValueError(f"unknown test-time augmentation {tta!r}; expected one of {', '.join(TTA_CHOICES)}")
    return model if has_flip_tta(model) else with_flip_tta(model)

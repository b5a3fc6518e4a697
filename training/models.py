"""Model architectures, each a `make_<name>(input_shape, num_classes, **options)` function.

`ARCHITECTURES` maps the `--arch` flag of train.py to its builder, so a stronger model is one
new function here and nothing else changes in the pipeline.
"""
import keras
from keras import layers, regularizers


def make_mini_xception(input_shape, num_classes, l2=0.01, filters=(16, 32, 64, 128), stem=8):
    """mini-Xception (Arriaga et al., 2017): a stem of two convs, residual separable blocks, GAP, softmax."""
    reg = regularizers.l2(l2)
    inputs = keras.Input(shape=input_shape, name="face")

    x = inputs
    for _ in range(2):
        x = layers.Conv2D(stem, 3, use_bias=False, kernel_regularizer=reg)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)

    for n in filters:
        # The shortcut matches the block's output shape: 1x1 conv with stride 2, like the max-pool.
        residual = layers.Conv2D(n, 1, strides=2, padding="same", use_bias=False)(x)
        residual = layers.BatchNormalization()(residual)
        x = layers.SeparableConv2D(n, 3, padding="same", use_bias=False,
                                   depthwise_regularizer=reg, pointwise_regularizer=reg)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(n, 3, padding="same", use_bias=False,
                                   depthwise_regularizer=reg, pointwise_regularizer=reg)(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.Add()([x, residual])

    x = layers.Conv2D(num_classes, 3, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    # float32 even under mixed precision, so the probabilities sum to 1 exactly enough.
    outputs = layers.Activation("softmax", name="probabilities", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="mini_xception")


ARCHITECTURES = {
    "mini_xception": make_mini_xception,
}


def make_model(arch, input_shape, num_classes, **options):
    """Build the architecture named `arch` (a key of ARCHITECTURES)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch](input_shape, num_classes, **options)

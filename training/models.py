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


def make_resnet(input_shape, num_classes, l2=1e-4, widths=(32, 64, 128, 256), blocks=(1, 1, 1), dropout=0.3,
                name="resnet"):
    """A compact ResNet: a 3x3 stem at full resolution, then one stage per halving of the image.

    Plain 3x3 convolutions rather than separable ones: on a CPU with oneDNN (and AMX in bfloat16)
    they train several times faster per useful FLOP than depthwise convolutions, which are
    memory-bound. `widths[0]` is the stem; each later width is a stage of `blocks[i]` basic blocks,
    the first of which halves the resolution (48 -> 24 -> 12 -> 6).
    """
    reg = regularizers.l2(l2) if l2 else None
    conv = dict(padding="same", use_bias=False, kernel_regularizer=reg)
    inputs = keras.Input(shape=input_shape, name="face")

    x = layers.Conv2D(widths[0], 3, **conv)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for width, count in zip(widths[1:], blocks):
        for i in range(count):
            stride = 2 if i == 0 else 1
            shortcut = x
            if stride != 1 or shortcut.shape[-1] != width:
                # Pool then 1x1: a cheap shortcut that sees the whole 2x2 window (ResNet-D).
                shortcut = layers.AveragePooling2D(stride, padding="same")(shortcut) if stride != 1 else shortcut
                shortcut = layers.Conv2D(width, 1, **conv)(shortcut)
                shortcut = layers.BatchNormalization()(shortcut)
            x = layers.Conv2D(width, 3, strides=stride, **conv)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
            x = layers.Conv2D(width, 3, **conv)(x)
            # Zero-initialised last BN: each block starts as the identity, which trains faster.
            x = layers.BatchNormalization(gamma_initializer="zeros")(x)
            x = layers.Add()([x, shortcut])
            x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(num_classes, kernel_regularizer=reg)(x)
    outputs = layers.Activation("softmax", name="probabilities", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def to_float32(model):
    """The same model with every layer computing in float32 (a mixed-precision model's weights are float32 already)."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def float32_layer(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    clone = keras.models.clone_model(model, clone_function=float32_layer)
    clone.set_weights(model.get_weights())
    return clone


def make_resnet_slim(input_shape, num_classes, **options):
    """make_resnet at half the widths: a quarter of the multiply-adds, for the page on slow devices
    (training.prune narrows a trained resnet into it, to fine-tune)."""
    return make_resnet(input_shape, num_classes, widths=(16, 32, 64, 128), name="resnet_slim", **options)


def make_resnet_tiny(input_shape, num_classes, **options):
    """make_resnet at a quarter of the widths (half of resnet_slim's): a sixteenth of the
    multiply-adds, for the page with several faces in view (training.prune narrows resnet_slim into it)."""
    return make_resnet(input_shape, num_classes, widths=(8, 16, 32, 64), name="resnet_tiny", **options)


ARCHITECTURES = {
    "mini_xception": make_mini_xception,
    "resnet": make_resnet,
    "resnet_slim": make_resnet_slim,
    "resnet_tiny": make_resnet_tiny,
}


def make_model(arch, input_shape, num_classes, **options):
    """Build the architecture named `arch` (a key of ARCHITECTURES)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch](input_shape, num_classes, **options)

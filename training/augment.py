"""Training-set augmentation with Keras 3 preprocessing layers on raw 0..255 faces (in tf.data, or on any backend)."""
import keras
from keras import layers


def make_augmenter(rotation_degrees=10, shift=0.1, zoom=0.1, flip=True, erase=0.0, sharp=0.0, seed=0):
    """The seed's augmentation: rotation, width/height shift, zoom and horizontal flip.

    `sharp` > 0 spares that fraction of faces the rotation, shift and zoom. Those resample the
    face bilinearly, which softens it, so without this the network only ever sees softened
    faces in training and then meets sharp crops at test time (training.tta's smoothing exists
    to bridge that gap after the fact; this closes it in training).

    `erase` > 0 adds random erasing (Zhong et al., 2017) with that probability per face: a
    random patch of 2-25% of the face is replaced with noise, so the model cannot lean on one
    region (a mouth, an eyebrow) that occlusion, hands or glasses hide in the wild.
    """
    steps = [
        layers.RandomRotation(rotation_degrees / 360, fill_mode="nearest", seed=seed),
        layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed + 1),
        layers.RandomZoom(zoom, zoom, fill_mode="nearest", seed=seed + 2),
    ]
    if sharp:
        steps = [SpareSome(keras.Sequential(steps, name="resample"), rate=sharp, seed=seed + 5)]
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seed + 3))
    if erase:
        steps.append(layers.RandomErasing(factor=erase, scale=(0.02, 0.25), value_range=(0, 255), seed=seed + 4))
    return keras.Sequential(steps, name="augment")


class SpareSome(layers.Layer):
    """Applies `inner` to a batch of faces except a random `rate` fraction, which pass unchanged."""

    def __init__(self, inner, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.inner, self.rate = inner, rate
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, x, training=False):
        if not training:
            return x
        spared = keras.random.uniform([keras.ops.shape(x)[0], 1, 1, 1], seed=self.seed_generator) < self.rate
        return keras.ops.where(spared, x, self.inner(x, training=True))


def make_mixup(alpha, seed=0):
    """Mixup (Zhang et al., 2018) for a batch of faces and one-hot labels: each face is blended
    with another face of the batch, and its label with that face's label, in proportion
    lam ~ Beta(alpha, alpha) drawn per face. Soft, blended targets discourage the over-confident
    fit that a small network shows on FER2013's noisy labels. Returns f(x, y) -> (x, y)."""
    import tensorflow as tf  # here, not above: make_augmenter also runs where there is no TensorFlow

    generator = tf.random.Generator.from_seed(seed)

    def mixup(x, y):
        n = tf.shape(x)[0]
        seeds = generator.make_seeds(2)  # Generator has no gamma; stateless_gamma takes seeds from it
        a = tf.random.stateless_gamma([n], seeds[:, 0], alpha)
        lam = a / (a + tf.random.stateless_gamma([n], seeds[:, 1], alpha))
        partner = tf.argsort(generator.uniform([n]))  # a random permutation of the batch
        lam_x = tf.cast(tf.reshape(lam, [-1, 1, 1, 1]), x.dtype)  # bfloat16 faces under mixed precision
        lam_y = tf.cast(tf.reshape(lam, [-1, 1]), y.dtype)
        return (lam_x * x + (1 - lam_x) * tf.gather(x, partner),
                lam_y * y + (1 - lam_y) * tf.gather(y, partner))

    return mixup

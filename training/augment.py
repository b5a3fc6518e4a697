"""Training-set augmentation with Keras 3 preprocessing layers, run inside tf.data on raw 0..255 faces."""
import keras
from keras import layers


def make_augmenter(rotation_degrees=10, shift=0.1, zoom=0.1, flip=True, seed=0):
    """The seed's augmentation: rotation, width/height shift, zoom and horizontal flip."""
    steps = [
        layers.RandomRotation(rotation_degrees / 360, fill_mode="nearest", seed=seed),
        layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed + 1),
        layers.RandomZoom(zoom, zoom, fill_mode="nearest", seed=seed + 2),
    ]
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seed + 3))
    return keras.Sequential(steps, name="augment")

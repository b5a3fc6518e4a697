"""Training-set augmentation with Keras 3 preprocessing layers, run inside tf.data on raw 0..255 faces."""
import keras
from keras import layers


def make_augmenter(rotation_degrees=10, shift=0.1, zoom=0.1, flip=True, erase=0.0, seed=0):
    """The seed's augmentation: rotation, width/height shift, zoom and horizontal flip.

    `erase` > 0 adds random erasing (Zhong et al., 2017) with that probability per face: a
    random patch of 2-25% of the face is replaced with noise, so the model cannot lean on one
    region (a mouth, an eyebrow) that occlusion, hands or glasses hide in the wild.
    """
    steps = [
        layers.RandomRotation(rotation_degrees / 360, fill_mode="nearest", seed=seed),
        layers.RandomTranslation(shift, shift, fill_mode="nearest", seed=seed + 1),
        layers.RandomZoom(zoom, zoom, fill_mode="nearest", seed=seed + 2),
    ]
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seed + 3))
    if erase:
        steps.append(layers.RandomErasing(factor=erase, scale=(0.02, 0.25), value_range=(0, 255), seed=seed + 4))
    return keras.Sequential(steps, name="augment")

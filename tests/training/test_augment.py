"""Augmentation: the seed's transforms, and random erasing when asked for."""
import numpy as np

from training.augment import make_augmenter


def test_random_erasing_hides_a_patch_of_some_faces_only():
    augment = make_augmenter(rotation_degrees=0, shift=0, zoom=0, flip=False, erase=0.5, seed=3)
    faces = np.full((64, 48, 48, 1), 100, np.float32)
    out = np.asarray(augment(faces, training=True))
    erased = (out != 100).mean(axis=(1, 2, 3))
    assert 10 < (erased > 0).sum() < 54  # about half the faces
    assert erased.max() <= 0.3  # a patch, never the whole face
    assert np.all(np.asarray(augment(faces, training=False)) == 100)  # nothing at inference

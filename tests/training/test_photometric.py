"""Photometric augmentation keeps shape and type, is repeatable by seed, and changes how faces look."""
import numpy as np

from training.photometric import make_photometric


def test_photometric_changes_the_look_repeatably():
    faces = np.random.default_rng(0).integers(40, 220, (64, 48, 48, 1), dtype=np.uint8)
    a = make_photometric(seed=3)(faces)
    b = make_photometric(seed=3)(faces)
    assert a.shape == faces.shape and a.dtype == np.uint8
    assert (a == b).all()  # one seed, one stream
    changed = np.abs(a.astype(int) - faces).mean(axis=(1, 2, 3))
    assert np.median(changed) > 5  # a camera-sized change on most faces
    # Brightness and contrast move both ways, not one.
    shift = a.mean(axis=(1, 2, 3)) - faces.mean(axis=(1, 2, 3))
    assert (shift > 5).sum() > 5 and (shift < -5).sum() > 5

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


def test_mixup_blends_faces_and_labels_in_the_same_proportion():
    from training.augment import make_mixup

    # Face k is uniformly 10*k and labelled k, so a blended face's value says how much of each label it holds.
    labels = np.tile(np.arange(7), 4)
    faces = (10.0 * labels).astype(np.float32).reshape(-1, 1, 1, 1) * np.ones((1, 48, 48, 1), np.float32)
    one_hot = np.eye(7, dtype=np.float32)[labels]
    x, y = (np.asarray(t) for t in make_mixup(0.4, seed=1)(faces, one_hot))

    np.testing.assert_allclose(y.sum(axis=1), 1, atol=1e-6)
    assert y.min() >= 0 and ((y > 1e-6).sum(axis=1) <= 2).all()  # a face and at most one partner
    np.testing.assert_allclose(x[:, 0, 0, 0], 10 * y @ np.arange(7), atol=1e-3)
    assert (x.std(axis=(1, 2, 3)) < 1e-4).all()  # whole faces blended, not patches
    assert (y.max(axis=1) < 0.95).sum() >= 5  # Beta(0.4, 0.4) mixes a fair share of the batch
    x2, _ = make_mixup(0.4, seed=1)(faces, one_hot)
    np.testing.assert_array_equal(x, np.asarray(x2))  # repeatable with its seed


def test_sharp_spares_some_faces_the_resampling_only():
    # Rotation alone, so a spared face is exactly the input and a resampled one is not.
    augment = make_augmenter(rotation_degrees=10, shift=0, zoom=0, flip=False, sharp=0.3, seed=0)
    rng = np.random.default_rng(0)
    faces = rng.uniform(0, 255, (200, 48, 48, 1)).astype(np.float32)
    out = np.asarray(augment(faces, training=True))
    spared = np.all(out == faces, axis=(1, 2, 3))
    assert 40 <= spared.sum() <= 80  # about 30% of 200
    assert np.abs(out[~spared] - faces[~spared]).mean() > 1  # the rest were rotated
    np.testing.assert_array_equal(np.asarray(augment(faces, training=False)), faces)

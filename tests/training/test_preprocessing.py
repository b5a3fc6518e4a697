"""The one preprocessing: grayscale with the spec's weights, area resize to 48x48, scale to [-1, 1]."""
import json

import numpy as np
import pytest

from training.preprocessing import INPUT_SHAPE, LABELS, SPEC_PATH, preprocess_batch, preprocess_face, scale, to_gray


def test_constants_come_from_the_spec_file():
    spec = json.loads(SPEC_PATH.read_text())
    assert LABELS == tuple(spec["labels"]) and len(LABELS) == 7
    assert INPUT_SHAPE == (48, 48, 1)


def test_gray_uses_the_luma_weights():
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[..., 0] = 200
    np.testing.assert_allclose(to_gray(rgb), 200 * 0.299, rtol=1e-6)
    with pytest.raises(ValueError, match="expected a gray"):
        to_gray(np.zeros((2, 2, 5)))


def test_scale_maps_0_255_to_minus_one_one():
    np.testing.assert_allclose(scale(np.array([0.0, 127.5, 255.0])), [-1, 0, 1])


def test_preprocess_face_resizes_by_area_average():
    # A 96x96 checkerboard of 2x2 blocks averages to flat grey at 48x48.
    board = (np.indices((96, 96)).sum(axis=0) % 2 * 255).astype(np.uint8)
    x = preprocess_face(np.stack([board] * 3, axis=-1))
    assert x.shape == (48, 48, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x, 0.0, atol=1e-6)


def test_preprocess_batch_matches_preprocess_face():
    faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    batch = preprocess_batch(faces)
    for face, x in zip(faces, batch):
        np.testing.assert_allclose(preprocess_face(face), x)

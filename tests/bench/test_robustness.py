"""The corruptions of bench.robustness: each a real, repeatable change of the faces, clean the identity."""
import numpy as np
import pytest

from bench.robustness import CORRUPTIONS, corrupted


@pytest.fixture(scope="module")
def faces():
    # Gradients, blobs and fine texture: something for every corruption to change.
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:48, 0:48]
    base = 60 + 2 * yy + xx + rng.integers(0, 30, (48, 48))
    blobs = [np.where((yy - cy) ** 2 + (xx - cx) ** 2 < 30, 80, 0) for cy, cx in rng.integers(8, 40, (8, 2))]
    return np.stack([np.clip(base + b, 0, 255) for b in blobs]).astype(np.uint8)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_keeps_the_shape_and_repeats_with_its_seed(faces, name):
    out = corrupted(faces, name, seed=3)
    assert out.shape == faces.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, corrupted(faces, name, seed=3))
    if name == "clean":
        np.testing.assert_array_equal(out, faces)
    else:
        assert np.abs(out.astype(int) - faces).mean() > 1.0, f"{name} barely changed the faces"


def test_photometric_corruptions_go_the_named_way(faces):
    assert corrupted(faces, "dark (x0.5)").mean() < faces.mean() * 0.55
    assert corrupted(faces, "bright (+60)").mean() > faces.mean() + 50
    assert corrupted(faces, "low contrast (x0.5)").std() < faces.std() * 0.55

"""The candidate views of research.tta_search: each keeps the input's shape and a flat face flat,
"as is" changes nothing, and only the shrinking views move a sharp edge inwards."""
import numpy as np
import pytest

from research.tta_search import MULTI_CROPS, VIEWS, shift


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_keeps_shape_and_flat_faces(name):
    flat = np.full((2, 48, 48, 1), 0.25, np.float32)
    out = VIEWS[name](flat)
    assert out.shape == flat.shape
    np.testing.assert_allclose(out, 0.25, atol=1e-5)


def test_as_is_is_the_identity_and_views_differ_from_it():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 48, 48, 1)).astype(np.float32)
    np.testing.assert_array_equal(VIEWS["as is"](x), x)
    for name, view in VIEWS.items():
        if name != "as is":
            assert np.abs(view(x) - x).mean() > 0.01, name


def test_only_shrinking_moves_the_face_inwards():
    """A bright square in the middle: shrinking makes it smaller, smoothing keeps its size."""
    square = -np.ones((1, 48, 48, 1), np.float32)
    square[:, 12:36, 12:36] = 1
    area = (square > 0).sum()
    assert (VIEWS["shrink 4 px"](square) > 0).sum() < area
    assert (VIEWS["smooth sigma 0.6"](square) > 0).sum() == area


def test_shift_moves_the_face_and_replicates_the_edge():
    x = np.arange(48 * 48, dtype=np.float32).reshape(1, 48, 48, 1)
    moved = shift(x, 2, -1)  # two rows down, one column left
    np.testing.assert_array_equal(moved[0, 2:, :-1], x[0, :-2, 1:])
    np.testing.assert_array_equal(moved[0, :2, :-1], np.repeat(x[0, :1, 1:], 2, axis=0))  # top row repeated
    np.testing.assert_array_equal(moved[0, 2:, -1], x[0, :-2, -1])  # right column repeated


@pytest.mark.parametrize("name", list(MULTI_CROPS))
def test_multi_crop_views_keep_shape_and_start_from_the_shipped_view(name):
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 48, 1)).astype(np.float32)
    views = MULTI_CROPS[name]
    assert views[0] is VIEWS["smooth sigma 0.6, sharp faces only"]
    assert all(view(x).shape == x.shape for view in views)
    assert len({view(x).tobytes() for view in views}) == len(views)  # no view twice

"""mini-Xception: the seed's structure, parameter count and output."""
import numpy as np
import pytest
from keras import layers

from training.models import make_model


@pytest.fixture(scope="module")
def model():
    return make_model("mini_xception", (48, 48, 1), 7)


def test_parameter_count_matches_the_paper(model):
    # 58,423 parameters, the count of Arriaga et al.'s mini-Xception for 7 classes at 48x48.
    assert model.count_params() == 58423


def test_structure(model):
    convs = [l for l in model.layers if type(l) is layers.Conv2D]
    separable = [l for l in model.layers if isinstance(l, layers.SeparableConv2D)]
    assert [c.filters for c in convs] == [8, 8, 16, 32, 64, 128, 7]  # stem, 4 shortcuts, classifier
    assert [c.strides for c in convs[2:6]] == [(2, 2)] * 4  # 1x1 strided shortcuts
    assert [s.filters for s in separable] == [16, 16, 32, 32, 64, 64, 128, 128]
    assert sum(isinstance(l, layers.MaxPooling2D) for l in model.layers) == 4
    assert sum(isinstance(l, layers.Add) for l in model.layers) == 4
    assert any(isinstance(l, layers.GlobalAveragePooling2D) for l in model.layers)
    assert convs[0].kernel_regularizer.l2 == pytest.approx(0.01)


def test_output_is_a_probability_distribution(model):
    x = np.random.default_rng(0).uniform(-1, 1, (4, 48, 48, 1)).astype(np.float32)
    p = model.predict(x, verbose=0)
    assert p.shape == (4, 7)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown architecture 'resnet9000'; expected one of mini_xception, resnet"):
        make_model("resnet9000", (48, 48, 1), 7)


def test_resnet_fits_the_size_budget():
    model = make_model("resnet", (48, 48, 1), 7)
    # The browser budget is 5 MB of TF.js weights: float32 under 5 MB, float16 half of that.
    assert 500_000 < model.count_params() < 5_000_000 / 4
    assert model.output_shape == (None, 7)
    strided = [l for l in model.layers if isinstance(l, layers.Conv2D) and l.strides == (2, 2)]
    assert len(strided) == 3  # 48 -> 24 -> 12 -> 6
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, rtol=1e-5)

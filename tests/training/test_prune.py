"""training.prune: a narrower copy of a trained ResNet keeps the channels that carry the most."""
import numpy as np
import pytest
from keras import layers

from training.models import make_model, make_resnet
from training.prune import prune

WIDE = (8, 16, 16, 32)
NARROW = (4, 8, 8, 16)


def trained_like(widths, dead=None, seed=0):
    """A resnet with random weights and batch statistics, as training leaves them; `dead`: a
    {width: channels} whose batch normalisations output nothing (gamma and beta 0)."""
    rng = np.random.default_rng(seed)
    model = make_resnet((48, 48, 1), 7, widths=widths)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if isinstance(layer, layers.BatchNormalization):
            n = weights[0].shape[0]
            gamma, beta = rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n)
            mean, var = rng.normal(0, 0.2, n), rng.uniform(0.5, 1.5, n)
            if dead and n in dead:
                gamma[dead[n]] = beta[dead[n]] = 0
            layer.set_weights([w.astype(np.float32) for w in (gamma, beta, mean, var)])
        else:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in weights])
    return model


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(1).uniform(-1, 1, (4, 48, 48, 1)).astype(np.float32)


def test_a_copy_as_wide_as_the_model_is_the_model(faces):
    model = trained_like(WIDE)
    copy = prune(model, make_resnet((48, 48, 1), 7, widths=WIDE))
    np.testing.assert_allclose(copy.predict(faces, verbose=0), model.predict(faces, verbose=0), atol=1e-6)


def test_the_channels_that_carry_nothing_are_the_ones_dropped(faces):
    """Half of every layer's channels output nothing, residual sums included (both branches of a sum
    dead on the same channels): the half-width copy gives the same probabilities as the model."""
    rng = np.random.default_rng(2)
    dead = {n: np.sort(rng.choice(n, n // 2, replace=False)) for n in sorted(set(WIDE))}
    model = trained_like(WIDE, dead)
    narrow = prune(model, make_resnet((48, 48, 1), 7, widths=NARROW))
    assert narrow.count_params() < model.count_params() / 3
    np.testing.assert_allclose(narrow.predict(faces, verbose=0), model.predict(faces, verbose=0), atol=1e-5)


def test_a_copy_of_another_architecture_is_refused():
    with pytest.raises(ValueError, match="same architecture"):
        prune(trained_like(WIDE), make_model("mini_xception", (48, 48, 1), 7))


def test_resnet_slim_is_the_default_resnet_at_half_width():
    slim, full = make_model("resnet_slim", (48, 48, 1), 7), make_model("resnet", (48, 48, 1), 7)
    widths = lambda m: [l.filters for l in m.layers if isinstance(l, layers.Conv2D)]  # noqa: E731
    assert widths(slim) == [w // 2 for w in widths(full)]


def test_resnet_tiny_is_resnet_slim_at_half_width_and_prunes_from_it():
    tiny, slim = make_model("resnet_tiny", (48, 48, 1), 7), make_model("resnet_slim", (48, 48, 1), 7)
    widths = lambda m: [l.filters for l in m.layers if isinstance(l, layers.Conv2D)]  # noqa: E731
    assert widths(tiny) == [w // 2 for w in widths(slim)]
    pruned = prune(slim, tiny)
    assert pruned.count_params() == tiny.count_params() < slim.count_params() / 3

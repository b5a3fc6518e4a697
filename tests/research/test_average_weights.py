"""Weight averaging: the mean of the checkpoints, with batch norm re-estimated on the faces."""
import keras
import numpy as np
import pytest

from research.average_weights import average_weights, main, update_batch_norm
from training.preprocessing import preprocess_batch


def small_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.BatchNormalization(name="bn")(inputs)
    x = keras.layers.Conv2D(4, 3, name="conv")(x)
    outputs = keras.layers.Dense(7, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


def test_average_is_the_mean_of_every_weight():
    a, b = small_model(1), small_model(2)
    averaged = average_weights([a, b])
    for w, wa, wb in zip(averaged.get_weights(), a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(w, (wa + wb) / 2, rtol=1e-6)
    assert a.get_weights()[3].shape == averaged.get_weights()[3].shape  # the inputs are untouched copies


def test_batch_norm_is_re_estimated_as_the_plain_average_over_the_faces():
    faces = np.random.default_rng(0).integers(0, 256, (512, 48, 48), dtype=np.uint8)
    faces[:256] //= 2  # batches with different statistics, so an exponential average would differ
    model = update_batch_norm(small_model(0), faces, batch_size=128)
    bn = model.get_layer("bn")
    x = preprocess_batch(faces)
    np.testing.assert_allclose(bn.moving_mean.numpy(), [x.mean()], rtol=1e-4)
    batch_vars = [x[i:i + 128].var() for i in range(0, 512, 128)]
    np.testing.assert_allclose(bn.moving_variance.numpy(), [np.mean(batch_vars)], rtol=1e-3)
    assert bn.momentum == 0.99  # restored after


def test_models_of_different_shapes_are_refused(tmp_path, capsys):
    other = keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Flatten(), keras.layers.Dense(7)])
    with pytest.raises(ValueError, match="same architecture"):
        average_weights([small_model(0), other])
    small_model(0).save(tmp_path / "a.keras")
    other.save(tmp_path / "b.keras")
    assert main(["--models", str(tmp_path / "a.keras"), str(tmp_path / "b.keras"), "--out", str(tmp_path / "c.keras")]) == 2
    assert "same architecture" in capsys.readouterr().err and not (tmp_path / "c.keras").exists()

"""Flip test-time augmentation in the graph (training/tta.py): the mean over a face and its mirror,
kept through saving, and exported so that TF.js and TFLite compute the same."""
import json

import keras
import numpy as np
import pytest

from training.models import make_model
from training.predict import predict_probabilities
from training.tta import has_flip_tta, with_flip_tta


@pytest.fixture(scope="module")
def base():
    keras.utils.set_random_seed(0)
    return make_model("mini_xception", (48, 48, 1), 7)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).integers(0, 256, (6, 48, 48), dtype=np.uint8)


def test_wrapped_model_averages_each_face_with_its_mirror(base):
    x = np.random.default_rng(1).uniform(-1, 1, (5, 48, 48, 1)).astype("float32")
    wrapped = with_flip_tta(base)
    expected = (base.predict(x, verbose=0) + base.predict(x[:, :, ::-1], verbose=0)) / 2
    got = wrapped.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # Averaging over the mirror pair makes the prediction blind to which way the face looks.
    np.testing.assert_allclose(wrapped.predict(x[:, :, ::-1], verbose=0), got, atol=1e-6)
    # The first face does not depend on its batch mates (the halves are paired by position).
    np.testing.assert_allclose(wrapped.predict(x[:1], verbose=0), got[:1], atol=1e-6)
    assert wrapped.input_shape == base.input_shape and wrapped.output_shape == base.output_shape


def test_wrapped_model_survives_save_and_load(base, tmp_path):
    wrapped = with_flip_tta(base)
    keras.models.save_model(wrapped, tmp_path / "tta.keras")
    loaded = keras.models.load_model(tmp_path / "tta.keras", compile=False)
    x = np.random.default_rng(2).uniform(-1, 1, (3, 48, 48, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), wrapped.predict(x, verbose=0), atol=1e-6)
    assert has_flip_tta(loaded) and not has_flip_tta(base)


def test_predict_flip_matches_the_wrapped_model_and_refuses_to_wrap_twice(base, faces):
    wrapped = with_flip_tta(base)
    np.testing.assert_allclose(predict_probabilities(base, faces, tta="flip"),
                               predict_probabilities(wrapped, faces), atol=1e-6)
    with pytest.raises(ValueError, match="already averages over mirrored faces"):
        predict_probabilities(wrapped, faces, tta="flip")
    with pytest.raises(ValueError, match="unknown test-time augmentation 'crop'"):
        predict_probabilities(base, faces, tta="crop")


@pytest.mark.slow
def test_export_with_flip_tta_bakes_it_into_every_format(base, faces, tmp_path):
    """export(tta="flip") ships the wrapped graph: TF.js (checked against Keras inside export) and
    TFLite both give the mirror-averaged probabilities, and the manifest says so."""
    from converters.export import export
    from converters.runtimes import TFLiteModel
    from training.preprocessing import preprocess_batch

    keras.models.save_model(base, tmp_path / "base.keras")
    csv = tmp_path / "calibration.csv"
    csv.write_text("emotion,pixels,Usage\n" + "".join(f"0,{' '.join(map(str, f.ravel()))},Training\n" for f in faces))
    manifest = export(tmp_path / "base.keras", tmp_path / "out", data=csv, metrics={}, tta="flip")
    assert manifest["test_time_augmentation"] == "flip"
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["test_time_augmentation"] == "flip"
    x = preprocess_batch(faces)
    lite = TFLiteModel(tmp_path / "out" / manifest["formats"]["tflite_float32"]["path"]).predict(x)
    np.testing.assert_allclose(lite, predict_probabilities(base, faces, tta="flip"), atol=1e-4)

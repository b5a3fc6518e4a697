"""Test-time augmentation in the graph (training/tta.py): the mean over a face and its mirror,
optionally softened first, kept through saving, and exported so that TF.js and TFLite compute the same."""
import json

import keras
import numpy as np
import pytest

from training.models import make_model
from training.predict import predict_probabilities
from training.tta import SHARPNESS_RANGE, SmoothFace, graph_tta, single_view, smoothing_taps, with_tta


@pytest.fixture(scope="module")
def base():
    keras.utils.set_random_seed(0)
    return make_model("mini_xception", (48, 48, 1), 7)


@pytest.fixture(scope="module")
def faces():
    return np.random.default_rng(0).integers(0, 256, (6, 48, 48), dtype=np.uint8)


def scaled(seed, n):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 48, 48, 1)).astype("float32")


def smoothed(x, taps=None):
    """The reference: NumPy's edge padding, then the Gaussian taps along rows and then columns."""
    taps = smoothing_taps() if taps is None else taps
    r = len(taps) // 2
    framed = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), mode="edge")
    rows = sum(t * framed[:, i:i + x.shape[1], :] for i, t in enumerate(taps))
    return sum(t * rows[:, :, j:j + x.shape[2]] for j, t in enumerate(taps))


def test_flip_averages_each_face_with_its_mirror(base):
    x = scaled(1, 5)
    wrapped = with_tta(base, "flip")
    expected = (base.predict(x, verbose=0) + base.predict(x[:, :, ::-1], verbose=0)) / 2
    got = wrapped.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # Averaging over the mirror pair makes the prediction blind to which way the face looks.
    np.testing.assert_allclose(wrapped.predict(x[:, :, ::-1], verbose=0), got, atol=1e-6)
    # The first face does not depend on its batch mates (the halves are paired by position).
    np.testing.assert_allclose(wrapped.predict(x[:1], verbose=0), got[:1], atol=1e-6)
    assert wrapped.input_shape == base.input_shape and wrapped.output_shape == base.output_shape


def test_smooth_face_is_an_edge_padded_gaussian_blur():
    x = scaled(3, 4)
    got = SmoothFace()(x).numpy()
    assert got.shape == x.shape
    np.testing.assert_allclose(got, smoothed(x), atol=1e-5)
    assert smoothing_taps().sum() == pytest.approx(1) and smoothing_taps().argmax() == len(smoothing_taps()) // 2
    # A flat face stays flat (edge fill adds no border of another value), and a sharp step softens
    # without moving: the values next to the edge change, those far from it do not.
    np.testing.assert_allclose(SmoothFace()(np.full((1, 48, 48, 1), 0.3, "float32")).numpy(), 0.3, atol=1e-6)
    step = -np.ones((1, 48, 48, 1), "float32")
    step[:, :, 24:] = 1
    soft = SmoothFace()(step).numpy()[0, 10, :, 0]
    assert -1 < soft[23] < 0 < soft[24] < 1
    np.testing.assert_allclose(soft[:20], -1, atol=1e-6)
    np.testing.assert_allclose(soft[28:], 1, atol=1e-6)


def test_smoothing_spares_faces_that_are_already_soft():
    """With a sharpness range, a sharp face is smoothed fully, a soft one is left as it is, and one
    in between is blended: the weight is the face's sharpness placed in the range."""
    adaptive = SmoothFace(sharpness_range=SHARPNESS_RANGE)
    sharp = scaled(5, 2)  # uniform noise: far sharper than any face
    np.testing.assert_allclose(adaptive(sharp).numpy(), smoothed(sharp), atol=1e-5)
    ramp = np.tile(np.linspace(-0.2, 0.2, 48, dtype=np.float32), (1, 48, 1))[..., None]
    np.testing.assert_allclose(adaptive(ramp).numpy(), ramp, atol=1e-6)  # sharpness ~0: untouched
    lo, hi = SHARPNESS_RANGE
    # Noise scaled so that its sharpness sits mid-range (smoothing is linear, so sharpness scales too).
    mid = (lo + hi) / 2 / np.abs(sharp[:1] - smoothed(sharp[:1])).mean() * sharp[:1]
    d = np.abs(mid - smoothed(mid)).mean()
    weight = np.clip((d - lo) / (hi - lo), 0, 1)
    assert 0.2 < weight < 0.8
    np.testing.assert_allclose(adaptive(mid).numpy(), mid + weight * (smoothed(mid) - mid), atol=1e-5)


def test_smooth_flip_averages_the_softened_face_with_its_mirror(base):
    x = scaled(4, 3)
    soft = smoothed(x)
    expected = (base.predict(soft, verbose=0) + base.predict(soft[:, :, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(with_tta(base, "smooth_flip").predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.parametrize("tta", ["flip", "smooth_flip"])
def test_wrapped_model_survives_save_and_load(base, tmp_path, tta):
    wrapped = with_tta(base, tta)
    keras.models.save_model(wrapped, tmp_path / "tta.keras")
    loaded = keras.models.load_model(tmp_path / "tta.keras", compile=False)
    x = scaled(2, 3)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), wrapped.predict(x, verbose=0), atol=1e-6)
    assert graph_tta(loaded) == tta and graph_tta(base) == "none"


def test_predict_matches_the_wrapped_model_and_refuses_to_wrap_twice(base, faces):
    wrapped = with_tta(base, "flip")
    np.testing.assert_allclose(predict_probabilities(base, faces, tta="flip"),
                               predict_probabilities(wrapped, faces), atol=1e-6)
    assert with_tta(wrapped, "flip") is wrapped and with_tta(wrapped, None) is wrapped
    with pytest.raises(ValueError, match="already does flip test-time augmentation"):
        predict_probabilities(wrapped, faces, tta="flip")
    with pytest.raises(ValueError, match="already does flip test-time augmentation"):
        with_tta(wrapped, "smooth_flip")
    with pytest.raises(ValueError, match="unknown test-time augmentation 'crop'"):
        predict_probabilities(base, faces, tta="crop")


def test_single_view_is_one_pass_through_the_same_weights_with_the_same_temperature(base):
    from training.calibration import Temperature, apply_temperature, with_temperature

    x = scaled(4, 5)
    export = with_temperature(with_tta(base, "smooth_flip"), 0.8)
    plain, smooth = single_view(export, "plain"), single_view(export, "smooth")
    np.testing.assert_allclose(plain.predict(x, verbose=0), apply_temperature(base.predict(x, verbose=0), 0.8), atol=1e-5)
    softened = SmoothFace(sharpness_range=SHARPNESS_RANGE)(x).numpy()
    np.testing.assert_allclose(smooth.predict(x, verbose=0), apply_temperature(base.predict(softened, verbose=0), 0.8),
                               atol=1e-5)
    assert graph_tta(plain) == graph_tta(smooth) == "none"
    assert any(isinstance(layer, Temperature) for layer in plain.layers)
    # The same variables, not copies: the export and its single view change together.
    assert {id(v) for v in plain.weights} <= {id(v) for v in export.weights}
    # A model without views or temperature: its single view computes what it computes.
    np.testing.assert_allclose(single_view(base, "plain").predict(x, verbose=0), base.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="unknown single view 'mirror'"):
        single_view(export, "mirror")


def test_evaluate_cli_scores_the_single_view(base, faces, tmp_path, capsys):
    import cv2

    from training import evaluate
    from training.calibration import with_temperature

    path = tmp_path / "export.keras"
    keras.models.save_model(with_temperature(with_tta(base, "smooth_flip"), 0.8), path)
    (tmp_path / "faces" / "happy").mkdir(parents=True)
    for i, face in enumerate(faces):
        cv2.imwrite(str(tmp_path / "faces" / "happy" / f"{i}.png"), face)
    assert evaluate.main(["--data", str(tmp_path / "faces"), "--model", str(path), "--single-view", "smooth"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = predict_probabilities(single_view(evaluate.load_keras_model(path), "smooth"), faces).argmax(1)
    assert out["single_view"] == "smooth" and out["tta"] == "none" and out["n"] == len(faces)
    assert out["accuracy"] == pytest.approx(np.mean(expected == 3), abs=1e-4)  # every face labelled happy
    with pytest.raises(SystemExit):
        evaluate.main(["--model", str(path), "--single-view", "plain", "--tta", "flip"])


@pytest.mark.slow
def test_export_with_tta_bakes_it_into_every_format(base, faces, tmp_path):
    """export(tta="smooth_flip") ships the wrapped graph: TF.js (checked against Keras inside
    export) and TFLite both give the wrapped model's probabilities, and the manifest says so."""
    from converters.export import export
    from converters.runtimes import TFLiteModel
    from training.preprocessing import preprocess_batch

    keras.models.save_model(base, tmp_path / "base.keras")
    csv = tmp_path / "calibration.csv"
    csv.write_text("emotion,pixels,Usage\n" + "".join(f"0,{' '.join(map(str, f.ravel()))},Training\n" for f in faces))
    manifest = export(tmp_path / "base.keras", tmp_path / "out", data=csv, metrics={}, tta="smooth_flip")
    assert manifest["test_time_augmentation"] == "smooth_flip"
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["test_time_augmentation"] == "smooth_flip"
    x = preprocess_batch(faces)
    lite = TFLiteModel(tmp_path / "out" / manifest["formats"]["tflite_float32"]["path"]).predict(x)
    np.testing.assert_allclose(lite, predict_probabilities(base, faces, tta="smooth_flip"), atol=1e-4)
    # The TF.js graphs add the single view as a second output node, named in the manifest.
    from converters.runtimes import run_tfjs_node

    assert manifest["single_view"] == "smooth" and manifest["outputs"]["views"] != manifest["outputs"]["single"]
    got = run_tfjs_node(tmp_path / "out" / "tfjs" / "model.json", x, output=manifest["outputs"]["single"])
    np.testing.assert_allclose(got["probabilities"], predict_probabilities(single_view(base, "smooth"), faces), atol=1e-4)

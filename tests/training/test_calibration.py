"""Temperature scaling: the fit finds a known temperature, and the graph layer computes what NumPy does."""
import numpy as np
import pytest

from training.calibration import Temperature, apply_temperature, fit_temperature, graph_temperature, with_temperature


def test_fit_recovers_the_temperature_of_an_overconfident_model():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, (4000, 7))
    truth = apply_temperature(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    y = np.array([rng.choice(7, p=p / p.sum()) for p in truth.astype(np.float64)])
    overconfident = apply_temperature(truth, 0.5)  # logits doubled
    assert fit_temperature(overconfident, y) == pytest.approx(2.0, rel=0.1)
    assert fit_temperature(truth, y) == pytest.approx(1.0, rel=0.1)


def test_temperature_changes_no_label_and_matches_numpy():
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Softmax()(inputs), name="toy")
    calibrated = with_temperature(model, 1.7)
    x = np.random.default_rng(1).normal(0, 2, (16, 3)).astype(np.float32)
    p = model.predict(x, verbose=0)
    q = calibrated.predict(x, verbose=0)
    np.testing.assert_allclose(q, apply_temperature(p, 1.7), atol=1e-5)
    assert (q.argmax(1) == p.argmax(1)).all()
    assert graph_temperature(calibrated) == pytest.approx(1.7) and graph_temperature(model) == 1.0
    assert with_temperature(model, 1.0) is model
    assert Temperature.from_config(calibrated.get_layer("temperature").get_config()).temperature == pytest.approx(1.7)


def test_a_calibrated_export_still_names_its_views_and_trains_from_its_network():
    from training.models import make_model
    from training.tta import graph_tta, inner_network, with_tta

    network = make_model("resnet", (48, 48, 1), 7, widths=(8, 8, 8, 8))
    export = with_temperature(with_tta(network, "smooth_flip"), 1.3)
    assert graph_tta(export) == "smooth_flip"
    assert inner_network(export) is network

"""An export with --calibrate carries its temperature in every format and records it in the manifest."""
import numpy as np
import pytest

from converters.runtimes import TFLiteModel, run_tfjs_node
from tests.conftest import ROOT
from training.calibration import apply_temperature, graph_temperature
from training.evaluate import load_keras_model
from training.preprocessing import preprocess_batch

MINI_XCEPTION = ROOT / "models" / "mini_xception"


def write_csv(path, faces, labels):
    """A FER2013-style CSV with all three splits, a third of the faces each."""
    usages = np.array(["Training", "PublicTest", "PrivateTest"])[np.arange(len(faces)) % 3]
    path.write_text("emotion,pixels,Usage\n" + "".join(
        f"{y},{' '.join(map(str, x.ravel()))},{u}\n" for x, y, u in zip(faces, labels, usages)))
    return path


@pytest.mark.slow
def test_calibrated_export_bakes_the_fitted_temperature_into_every_format(tmp_path):
    from converters.export import export

    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (90, 48, 48), dtype=np.uint8)
    data = write_csv(tmp_path / "faces.csv", faces, rng.integers(0, 7, 90))
    manifest = export(MINI_XCEPTION / "model.keras", tmp_path / "out", data=data, calibrate=True)
    temperature = manifest["calibration"]["temperature"]
    assert "PublicTest, FER2013 (30 faces)" == manifest["calibration"]["fitted_on"]
    assert 0.25 <= temperature <= 4 and temperature != pytest.approx(1.0, abs=1e-3)

    exported = load_keras_model(tmp_path / "out")
    assert graph_temperature(exported) == pytest.approx(temperature, rel=1e-3)
    x = preprocess_batch(faces[:16])
    expected = apply_temperature(load_keras_model(MINI_XCEPTION).predict(x, verbose=0), temperature)
    np.testing.assert_allclose(exported.predict(x, verbose=0), expected, atol=1e-4)
    lite = TFLiteModel(tmp_path / "out" / manifest["formats"]["tflite_float32"]["path"]).predict(x)
    np.testing.assert_allclose(lite, expected, atol=1e-4)
    tfjs = run_tfjs_node(tmp_path / "out" / manifest["formats"]["tfjs"]["path"], x)["probabilities"]
    np.testing.assert_allclose(tfjs, expected, atol=1e-3)

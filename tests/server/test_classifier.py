"""The classifier preprocesses faces as the model's manifest says, and refuses a manifest it cannot follow."""
import json
import shutil

import numpy as np
import pytest

from server.classifier import Classifier, model_input, preprocess_face
from tests.conftest import DEFAULT_MODEL_DIR
from training.preprocessing import preprocess_face as training_preprocess_face

MANIFEST = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())


def test_the_shipped_manifest_gives_training_preprocessing():
    crop = np.random.default_rng(0).integers(0, 256, (70, 50, 3), dtype=np.uint8)
    np.testing.assert_array_equal(preprocess_face(crop, MANIFEST["input"]), training_preprocess_face(crop))


def test_the_constants_come_from_the_manifest():
    block = {**MANIFEST["input"], "shape": [24, 24, 1], "gray_weights": [0, 1, 0], "scale": 255.0, "offset": 0.0}
    crop = np.zeros((40, 40, 3), np.uint8)
    crop[..., 1] = 255  # green only: white with these weights, dark with the usual ones
    x = preprocess_face(crop, block)
    assert x.shape == (24, 24, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x, 1.0)


@pytest.mark.parametrize("change, message", [
    ({"resize": "bicubic"}, "resize 'bicubic'"),
    ({"shape": [48, 48, 3]}, "not \\[height, width, 1\\]"),
    ({"gray_weights": [0.5, 0.5]}, "gray_weights"),
    ({"scale": 0}, "scale 0"),
])
def test_a_manifest_the_server_cannot_follow_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        model_input({"input": {**MANIFEST["input"], **change}}, "models/x")


def test_a_model_whose_file_does_not_take_the_manifest_shape_is_refused(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    path = MANIFEST["formats"]["tflite_int8"]["path"]
    shutil.copy(DEFAULT_MODEL_DIR / path, model_dir / path)
    manifest = {**MANIFEST, "input": {**MANIFEST["input"], "shape": [64, 64, 1]}}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"manifest input shape \[64, 64, 1\], the model takes \[48, 48, 1\]"):
        Classifier(model_dir, "int8")

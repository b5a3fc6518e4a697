"""The TF.js graphs carry the single view beside the test-time views: two output nodes over one copy
of the weights (converters.browser_formats), named in model.json and the manifest; TFLite keeps its
one output."""
import json
import shutil

import keras
import numpy as np
import pytest

from converters.browser_formats import export_tfjs, output_nodes, share_weights
from converters.export import export_saved_model
from converters.runtimes import TFLiteModel, run_tfjs_node
from tests.conftest import DEFAULT_MODEL_DIR
from training.calibration import with_temperature
from training.evaluate import load_keras_model
from training.models import make_model
from training.tta import SINGLE_VIEW, single_view, with_tta

MANIFEST = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())


def scaled(seed, n):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 48, 48, 1)).astype("float32")


def shard_bytes(model_json):
    model = json.loads(model_json.read_text())
    return sum((model_json.parent / p).stat().st_size for group in model["weightsManifest"] for p in group["paths"])


@pytest.fixture(scope="module")
def calibrated_views():
    keras.utils.set_random_seed(0)
    return with_temperature(with_tta(make_model("mini_xception", (48, 48, 1), 7), "smooth_flip"), 1.3)


def test_tfjs_graph_has_both_outputs_over_one_copy_of_the_weights(calibrated_views, tmp_path):
    model = calibrated_views
    single = single_view(model)
    x = scaled(0, 5)
    one_output = export_tfjs(export_saved_model(model, tmp_path / "one"), tmp_path / "one", "tfjs")
    both = tmp_path / "both"
    saved_model = export_saved_model(model, both, single)
    model_json = export_tfjs(saved_model, both, "tfjs")
    nodes = output_nodes(model_json)
    assert nodes["views"] != nodes["single"] and output_nodes(one_output)["views"] == output_nodes(one_output)["single"]
    assert nodes["views"] == output_nodes(one_output)["views"]  # the views keep their node name
    # One copy of the weights: the converter folded the batch norms into each of the two graphs.
    assert shard_bytes(model_json) <= shard_bytes(one_output) * 1.01
    # The default output (execute(x) and predict(x), as the page calls them) is still the views alone.
    signature = json.loads(model_json.read_text())["signature"]["outputs"]
    assert list(signature) == ["output_0"] and signature["output_0"]["name"] == nodes["views"] + ":0"
    default = run_tfjs_node(model_json, x)["probabilities"]
    views = run_tfjs_node(model_json, x, output=nodes["views"])["probabilities"]
    got = run_tfjs_node(model_json, x, output=nodes["single"])["probabilities"]
    np.testing.assert_allclose(default, model.predict(x, verbose=0), atol=1e-5)
    np.testing.assert_array_equal(views, default)
    np.testing.assert_allclose(got, single.predict(x, verbose=0), atol=1e-5)
    assert np.abs(got - views).max() > 1e-4  # a different computation (untrained: near uniform), not the views renamed
    # Quantised weights are shared too, and the nodes are the same in every encoding.
    uint8 = export_tfjs(saved_model, both, "tfjs_uint8")
    assert output_nodes(uint8) == nodes
    np.testing.assert_allclose(run_tfjs_node(uint8, x, output=nodes["single"])["probabilities"], got, atol=0.05)


def test_the_tflite_conversion_keeps_one_output(calibrated_views, tmp_path):
    from converters.export import export_tflite

    model = calibrated_views
    saved_model = export_saved_model(model, tmp_path, single_view(model))
    lite = TFLiteModel(export_tflite(saved_model, tmp_path, "float32"))
    assert len(lite.outputs) == 1
    x = scaled(1, 3)
    np.testing.assert_allclose(lite.predict(x), model.predict(x, verbose=0), atol=1e-5)


def test_share_weights_keeps_one_copy_and_rewires_its_readers(tmp_path):
    w = np.arange(6, dtype="<f4")
    other = np.array([7, 8], dtype="<f4")
    (tmp_path / "group1-shard1of1.bin").write_bytes(w.tobytes() + other.tobytes() + w.tobytes())
    model = {
        "modelTopology": {"node": [
            {"name": "a/weights", "op": "Const"}, {"name": "b", "op": "Const"}, {"name": "c/weights", "op": "Const"},
            {"name": "conv_a", "op": "Conv2D", "input": ["x", "a/weights"]},
            {"name": "conv_c", "op": "Conv2D", "input": ["y", "c/weights:0", "^c/weights"]}]},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
            {"name": "a/weights", "shape": [2, 3], "dtype": "float32"}, {"name": "b", "shape": [2], "dtype": "float32"},
            {"name": "c/weights", "shape": [2, 3], "dtype": "float32"}]}]}
    share_weights(model, tmp_path)
    assert [w["name"] for w in model["weightsManifest"][0]["weights"]] == ["a/weights", "b"]
    assert [n["name"] for n in model["modelTopology"]["node"]] == ["a/weights", "b", "conv_a", "conv_c"]
    assert model["modelTopology"]["node"][-1]["input"] == ["y", "a/weights:0", "^a/weights"]
    assert (tmp_path / "group1-shard1of1.bin").read_bytes() == w.tobytes() + other.tobytes()
    # Same bytes under another shape or quantisation are different weights.
    before = json.dumps(model)
    model["weightsManifest"][0]["weights"][1]["shape"] = [1, 2]
    (tmp_path / "group1-shard1of1.bin").write_bytes(w.tobytes() + other.tobytes())
    share_weights(model, tmp_path)
    assert json.dumps(model) != before and len(model["weightsManifest"][0]["weights"]) == 2


def test_the_shipped_manifest_names_the_output_nodes_of_every_tfjs_format():
    outputs = MANIFEST["outputs"]
    assert set(outputs) == {"views", "single"}
    if MANIFEST["test_time_augmentation"] == "none":
        assert outputs["views"] == outputs["single"]
    else:
        assert outputs["views"] != outputs["single"] and MANIFEST["single_view"] == SINGLE_VIEW
    for fmt in MANIFEST["formats"].values():
        if fmt["runtime"] == "tfjs":
            model_json = DEFAULT_MODEL_DIR / fmt["path"]
            assert output_nodes(model_json) == outputs, fmt["path"]
            signature = json.loads(model_json.read_text())["signature"]["outputs"]
            assert [entry["name"] for entry in signature.values()] == [outputs["views"] + ":0"]


def test_the_shipped_tfjs_weights_are_stored_once(tmp_path):
    for fmt in MANIFEST["formats"].values():
        if fmt["runtime"] == "tfjs":
            folder = shutil.copytree((DEFAULT_MODEL_DIR / fmt["path"]).parent, tmp_path / fmt["path"].split("/")[0])
            model = json.loads((folder / "model.json").read_text())
            count = len(model["weightsManifest"][0]["weights"])
            share_weights(model, folder)
            assert len(model["weightsManifest"][0]["weights"]) == count, f"{fmt['path']} holds a weight twice"


def test_the_shipped_single_output_is_the_keras_single_view():
    if MANIFEST["test_time_augmentation"] == "none":
        pytest.skip("the shipped default has no views in its graph")
    from training.data import load
    from training.preprocessing import preprocess_batch
    from tests.conftest import FER2013_CSV

    x = preprocess_batch(load(FER2013_CSV)["PublicTest"].x[:64]) if FER2013_CSV.exists() else scaled(2, 32)
    expected = single_view(load_keras_model(DEFAULT_MODEL_DIR), MANIFEST["single_view"]).predict(x, verbose=0)
    got = run_tfjs_node(DEFAULT_MODEL_DIR / "tfjs" / "model.json", x, output=MANIFEST["outputs"]["single"])
    np.testing.assert_allclose(got["probabilities"], expected, atol=1e-4)
    assert (got["probabilities"].argmax(1) == expected.argmax(1)).all()

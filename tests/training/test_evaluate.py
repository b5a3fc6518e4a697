"""training.evaluate prints the metrics JSON for the shipped model, and fails clearly on bad input."""
import json

import numpy as np
import pytest

from training import evaluate
from training.metrics import classification_report
from training.preprocessing import LABELS

MINI_XCEPTION_DIR = evaluate.ROOT / "models" / "mini_xception"


def test_classification_report_on_known_predictions():
    y = [0, 0, 1, 1]
    p = np.eye(7)[[0, 1, 1, 1]]
    r = classification_report(y, p)
    assert r["accuracy"] == 0.75 and r["n"] == 4
    assert r["precision"]["angry"] == 1.0 and r["recall"]["angry"] == 0.5
    assert r["precision"]["disgust"] == pytest.approx(0.6667, abs=1e-4)
    assert r["confusion_matrix"][0][:2] == [1, 1]


def test_evaluate_cli_prints_metrics_json(tmp_path, capsys):
    folder = tmp_path / "faces"
    import cv2

    rng = np.random.default_rng(0)
    for label in ("happy", "sad"):
        (folder / label).mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(folder / label / f"{i}.png"), rng.integers(0, 256, (64, 64), dtype=np.uint8))
    assert evaluate.main(["--data", str(folder), "--model", str(MINI_XCEPTION_DIR), "--tta", "flip"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 6 and out["split"] == "all" and out["tta"] == "flip"
    assert set(out["f1"]) == set(LABELS) and len(out["confusion_matrix"]) == 7
    assert np.sum(out["confusion_matrix"]) == 6
    assert 0 <= out["accuracy"] <= 1 and 0 <= out["macro_f1"] <= 1


def test_evaluate_cli_refuses_tta_twice_and_reports_the_graphs_own(tmp_path, capsys):
    """The shipped default does its test-time augmentation in its graph: --tta on it is an error,
    and its plain evaluation names the augmentation it computes, not "none"."""
    from training.tta import graph_tta

    in_graph = graph_tta(evaluate.load_keras_model(evaluate.DEFAULT_MODEL))
    if in_graph == "none":
        pytest.skip("the shipped default has no test-time augmentation in its graph")
    import cv2

    (tmp_path / "happy").mkdir()
    cv2.imwrite(str(tmp_path / "happy" / "0.png"), np.full((48, 48), 128, np.uint8))
    assert evaluate.main(["--data", str(tmp_path), "--tta", "flip"]) == 2
    assert f"already does {in_graph} test-time augmentation" in capsys.readouterr().err
    assert evaluate.main(["--data", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["tta"] == in_graph


def test_evaluate_cli_reports_bad_data(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n3,1 2 3,PublicTest\n")
    assert evaluate.main(["--data", str(bad), "--split", "PublicTest"]) == 2
    assert f"{bad}:2: expected 2304 pixel values, got 3" in capsys.readouterr().err


@pytest.mark.slow
def test_shipped_model_accuracy_on_public_test(fer2013, tmp_path):
    """The committed default model evaluated on real PublicTest faces agrees with its manifest."""
    from tests.conftest import DEFAULT_MODEL_DIR, FER2013_CSV

    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    exported_from = FER2013_CSV.parent / manifest["training"]["data"]  # the pixels its metrics were measured on
    if not exported_from.exists():
        pytest.skip(f"{exported_from} not found")
    model = evaluate.load_keras_model(DEFAULT_MODEL_DIR)
    result = evaluate.evaluate(model, exported_from, "PublicTest")
    assert result["n"] == 3589
    assert result["accuracy"] == pytest.approx(manifest["metrics"]["PublicTest"]["accuracy"], abs=1e-3)


def test_several_models_are_scored_on_their_averaged_probabilities(tmp_path, capsys):
    import cv2

    from training.data import load
    from training.predict import predict_probabilities

    folder = tmp_path / "faces"
    rng = np.random.default_rng(1)
    for label in ("angry", "happy", "neutral"):
        (folder / label).mkdir(parents=True)
        for i in range(4):
            cv2.imwrite(str(folder / label / f"{i}.png"), rng.integers(0, 256, (48, 48), dtype=np.uint8))
    default_dir = evaluate.ROOT / "models" / "resnet_slim"
    assert evaluate.main(["--data", str(folder), "--model", str(MINI_XCEPTION_DIR), str(default_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == [str(MINI_XCEPTION_DIR), str(default_dir)]
    faces = load(folder)["all"]
    mean = np.mean([predict_probabilities(evaluate.load_keras_model(d), faces.x) for d in (MINI_XCEPTION_DIR, default_dir)],
                   axis=0)
    assert out["confusion_matrix"] == classification_report(faces.y, mean)["confusion_matrix"]

"""Model cards are written from the manifest and report, and the shipped ones are up to date."""
import json

import pytest

from converters.manifest import CARD_NAME, refresh_files
from converters.model_card import card, main, write_model_card
from tests.conftest import ROOT

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def split_metrics(accuracy, f1s, n=100):
    per_class = dict(zip(LABELS, f1s))
    return {"n": n, "accuracy": accuracy, "macro_f1": sum(f1s) / len(f1s),
            "precision": per_class, "recall": per_class, "f1": per_class}


@pytest.fixture
def model_dir(tmp_path):
    manifest = {
        "name": "tiny", "architecture": "mini_xception", "created": "2030-01-02", "labels": LABELS,
        "input": {"shape": [48, 48, 1], "gray_weights": [0.299, 0.587, 0.114], "scale": 127.5, "offset": -1.0,
                  "formula": "gray(RGB) resized to shape, then value / scale + offset"},
        "output": "probabilities over labels, softmax", "test_time_augmentation": "flip",
        "browser_format": "tfjs_float16",
        "formats": {"tfjs": {"path": "tfjs/model.json", "dtype": "float32", "bytes": 2_000_000,
                             "public_accuracy": 0.61},
                    "tfjs_float16": {"path": "tfjs_float16/model.json", "dtype": "float16 weights",
                                     "bytes": 1_000_000, "public_accuracy": 0.6}},
        "metrics": {"PublicTest": split_metrics(0.6, [0.5, 0.2, 0.4, 0.8, 0.45, 0.7, 0.55]),
                    "PrivateTest": split_metrics(0.6123, [0.52, 0.18, 0.37, 0.82, 0.45, 0.65, 0.59])},
        "training": {"data": "fer2013_original.csv.gz", "split": "official", "selected_on": "PublicTest",
                     "reported_on": "PrivateTest"},
    }
    report = {"params": 58423,
              "splits": {"PrivateTest": {**split_metrics(0.59, [0.5] * 7),
                                         "confusion_matrix": [[i * 7 + j for j in range(7)] for i in range(7)]}},
              "label_counts": {"Training": dict(zip(LABELS, [40, 4, 41, 72, 48, 31, 49])),
                               "PrivateTest": dict(zip(LABELS, [5, 1, 5, 9, 6, 4, 6]))}}
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "metrics.json").write_text(json.dumps(report))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_card_reports_the_manifest_and_report_figures(model_dir):
    text = card(model_dir)
    for heading in ("## Model details", "## Intended use", "## Training data", "## Metrics",
                    "## Known limits and biases", "## How to reproduce"):
        assert heading in text
    assert "**61.23% accuracy, macro-F1 0.511** on FER2013 PrivateTest (100 faces" in text
    assert "FER2013 with its original pixels (`fer2013_original.csv.gz`)" in text
    assert "58,423 parameters" in text
    assert "| tfjs_float16 (the page loads this) | `tfjs_float16/model.json` | float16 weights | 1.00 MB | 60.00% |" in text
    assert "| disgust | 0.180 | 0.180 | 0.180 |" in text  # per class, per benchmark
    assert "| PrivateTest | 59.00% | 0.500 |" in text  # the network alone, from report/metrics.json
    assert "| sad | 28 | 29 | 30 | 31 | 32 | 33 | 34 |" in text  # its confusion matrix
    assert "disgust (F1 0.180) and fear (F1 0.370)" in text
    assert "The rarest class, disgust, has 4 of the 285 Training faces (1.4%)" in text
    assert "python -m converters.export --model runs/<run>/best.keras --run-dir runs/<run> --out models/tiny" in text


def test_card_without_a_report_still_has_every_section(model_dir):
    (model_dir / "report" / "metrics.json").unlink()
    text = card(model_dir)
    assert "## Known limits and biases" in text and "The trained network alone" not in text


def test_the_card_is_left_out_of_the_manifest_file_list(model_dir):
    path = write_model_card(model_dir)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    refresh_files(manifest, model_dir)
    assert path.name == CARD_NAME and CARD_NAME not in manifest["files"] and "report/metrics.json" in manifest["files"]


def test_cli_names_a_folder_without_a_manifest(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no manifest" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["resnet_slim", "resnet", "resnet_tiny", "mini_xception"])
def test_shipped_cards_are_up_to_date(name):
    model_dir = ROOT / "models" / name
    assert (model_dir / CARD_NAME).read_text() == card(model_dir), \
        f"models/{name}/{CARD_NAME} is stale: run python -m converters.model_card models/{name}"


def test_card_of_an_export_given_no_metrics_or_training(model_dir):
    """export(..., metrics={}) with no --run-dir, as the re-export test calls it."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    (model_dir / "manifest.json").write_text(json.dumps({**manifest, "metrics": {}, "training": {}}))
    (model_dir / "report" / "metrics.json").unlink()
    text = card(model_dir)
    assert "## Metrics" in text and "accuracy, macro-F1" not in text


def test_card_lists_calibration_and_other_benchmarks_when_the_manifest_has_them(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["benchmarks"] = {
        "ferplus": {"n": 50, "accuracy": 0.8, "macro_f1": 0.6, "ece": 0.05, "recall": dict(zip(LABELS, [0.5] * 7))},
        "sfew": {"skipped": "not found: sfew.npz"}}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    manifest["calibration"] = {"temperature": 1.3, "fitted_on": "PublicTest, FER2013 (100 faces)",
                               "ece_before": 0.08, "ece_after": 0.02}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    text = card(model_dir)
    assert "temperature 1.3 inside the graph" in text and "0.08 before, 0.02 after" in text
    assert "| ferplus | 50 | 80.00% | 0.600 | 0.050 |" in text
    assert "| sfew | not measured: not found: sfew.npz | | | |" in text
    assert "| ferplus | 0.500 | 0.500 |" in text


def test_card_names_the_extra_training_sets_and_their_terms(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["training"]["args"] = {"ferplus": "/data/ferplus/ferplus.csv",
                                    "extra": ["/data/sfew/sfew.npz:3", "/data/mine/faces.npz"]}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    text = card(model_dir)
    assert "  - FER+ (Barsoum et al., 2016)" in text and "MIT licence" in text
    assert "SFEW 2.0" in text and "(`--extra`, 3 times per epoch)" in text
    assert "`faces.npz`: a face set; see its source for its terms (`--extra`, once per epoch)" in text


def test_card_compares_the_views_with_the_single_view_when_the_graph_has_both(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    text = card(model_dir)
    assert "TF.js outputs" not in text and "Views against a single view" not in text
    manifest.update(outputs={"views": "Identity", "single": "Identity_1"}, single_view="smooth",
                    benchmarks={"ferplus": {"n": 50, "accuracy": 0.8, "macro_f1": 0.6}},
                    single_view_benchmarks={"ferplus": {"n": 50, "accuracy": 0.78, "macro_f1": 0.61}})
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    text = card(model_dir)
    assert "`Identity` the views above (the default output), `Identity_1` a single view: the face softened" in text
    assert "| ferplus | 80.00% | 0.600 | 78.00% | 0.610 |" in text

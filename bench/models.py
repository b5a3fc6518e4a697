"""Benchmark every exported format of a model: size, ms per face at batch 1, PublicTest accuracy,
and how often its top label is the Keras model's.

    python -m bench.models [--model models/resnet_slim] [--runs 200] [--split PrivateTest]

Times are medians over --runs single-face calls after a warm-up, all measured in this run, on
this machine; compare rows with each other rather than quoting them as absolute truths. The last
line compares the two files users meet: the page's TF.js weights (the manifest's browser_format)
and the TFLite file the server runs by default (server/config.py), face by face.
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from converters.browser_formats import WEIGHT_ENCODINGS  # noqa: E402
from converters.manifest import page_format  # noqa: E402
from converters.runtimes import TFLiteModel, run_tfjs_node  # noqa: E402
from server.config import DEFAULTS  # noqa: E402
from training.data import load  # noqa: E402
from training.evaluate import DEFAULT_DATA, DEFAULT_MODEL, load_keras_model  # noqa: E402
from training.preprocessing import preprocess_batch  # noqa: E402


def median_ms(fn, runs, warmup=10):
    times = []
    for i in range(runs + warmup):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="exported model folder (with manifest.json)")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV for PublicTest accuracy")
    p.add_argument("--runs", type=int, default=200, help="timed single-face calls per format")
    p.add_argument("--cpu-runs", type=int, default=20, help="timed calls for TF.js's slow CPU backend")
    p.add_argument("--split", default="PublicTest",
                   help="the split for the accuracy column (PublicTest selects; PrivateTest only reports a choice made)")
    args = p.parse_args(argv)

    model_dir = Path(args.model)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    public = load(args.data)[args.split] if Path(args.data).exists() else None
    x = preprocess_batch(public.x) if public is not None else np.zeros((1, 48, 48, 1), np.float32)
    one = x[:1]

    rows, labels = [], {}  # labels: format -> top label of every face
    fmts = manifest["formats"]
    keras_model = load_keras_model(model_dir)
    labels["keras"] = keras_model.predict(x, batch_size=512, verbose=0).argmax(1)
    rows.append(("keras (TF 2.19, model(x))", "keras",
                 median_ms(lambda: keras_model(one, training=False).numpy(), args.runs)))
    for kind in ("float32", "float16", "int8"):
        lite = TFLiteModel(model_dir / fmts[f"tflite_{kind}"]["path"], num_threads=1)
        labels[f"tflite_{kind}"] = lite.predict(x).argmax(1)
        rows.append((f"tflite {kind} (XNNPACK, 1 thread)", f"tflite_{kind}",
                     median_ms(lambda: lite.predict_one(one), args.runs)))
    for fmt in [name for name in WEIGHT_ENCODINGS if name in fmts]:
        model_json = model_dir / fmts[fmt]["path"]
        # Backends compute the same function, so labels come from one WASM pass over all faces.
        labels[fmt] = run_tfjs_node(model_json, x, backend="wasm")["probabilities"].argmax(1)
        for backend in ("wasm", "cpu"):
            # TF.js's plain-JS CPU backend takes over a second per face for the ResNet: fewer runs.
            runs = args.runs if backend == "wasm" else args.cpu_runs
            ms = run_tfjs_node(model_json, one, backend=backend, repeat=runs)["ms_per_face_batch1"]
            rows.append((f"{fmt} (Node, {backend})", fmt, ms))

    def agreement(a, b):
        return f"{np.mean(labels[a] == labels[b]):.4f}"

    def accuracy(fmt):
        return f"{np.mean(labels[fmt] == public.y):.4f}" if public is not None else "n/a"

    print(f"model: {model_dir} ({manifest['architecture']}), {args.runs} runs per row "
          f"({args.cpu_runs} for TF.js cpu), batch 1, median; {len(x)} {args.split if public else 'blank'} faces")
    print(f"| format | size (KB) | ms/face | {args.split} acc | top label = Keras's | x tflite float32 time |")
    print("|---|---:|---:|---:|---:|---:|")
    base = rows[1][2]
    for name, fmt, ms in rows:
        print(f"| {name} | {fmts[fmt]['bytes'] / 1024:.0f} | {ms:.3f} | {accuracy(fmt)} | {agreement(fmt, 'keras')} "
              f"| {ms / base:.2f} |")
    page, server = page_format(manifest), f"tflite_{DEFAULTS['TFLITE']}"
    print(f"the page ({page}) and the server ({server}) give the same top label on {agreement(page, server)} "
          f"of the faces")


if __name__ == "__main__":
    main()

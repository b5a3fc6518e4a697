"""Benchmark every exported format of a model: size, ms per face at batch 1, PublicTest accuracy.

    python -m bench.models [--model models/default] [--runs 200] [--split PrivateTest]

Times are medians over --runs single-face calls after a warm-up, all measured in this run, on
this machine; compare rows with each other rather than quoting them as absolute truths.
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
from converters.runtimes import TFLiteModel, run_tfjs_node  # noqa: E402
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
    accuracy = (lambda probs: float((probs.argmax(1) == public.y).mean())) if public is not None else (lambda _: None)

    rows = []
    fmts = manifest["formats"]
    keras_model = load_keras_model(model_dir)
    rows.append(("keras (TF 2.19, model(x))", fmts["keras"]["bytes"],
                 median_ms(lambda: keras_model(one, training=False).numpy(), args.runs),
                 accuracy(keras_model.predict(x, batch_size=512, verbose=0))))
    for kind in ("float32", "float16", "int8"):
        lite = TFLiteModel(model_dir / fmts[f"tflite_{kind}"]["path"], num_threads=1)
        rows.append((f"tflite {kind} (XNNPACK, 1 thread)", fmts[f"tflite_{kind}"]["bytes"],
                     median_ms(lambda: lite.predict_one(one), args.runs), accuracy(lite.predict(x))))
    for fmt in [name for name in WEIGHT_ENCODINGS if name in fmts]:
        model_json = model_dir / fmts[fmt]["path"]
        # Backends compute the same function, so accuracy comes from one WASM pass over all faces.
        acc = accuracy(run_tfjs_node(model_json, x, backend="wasm")["probabilities"])
        for backend in ("wasm", "cpu"):
            # TF.js's plain-JS CPU backend takes over a second per face for the ResNet: fewer runs.
            runs = args.runs if backend == "wasm" else args.cpu_runs
            ms = run_tfjs_node(model_json, one, backend=backend, repeat=runs)["ms_per_face_batch1"]
            rows.append((f"{fmt} (Node, {backend})", fmts[fmt]["bytes"], ms, acc))

    print(f"model: {model_dir} ({manifest['architecture']}), {args.runs} runs per row "
          f"({args.cpu_runs} for TF.js cpu), batch 1, median")
    print(f"| format | size (KB) | ms/face | {args.split} acc | x tflite float32 time |")
    print("|---|---:|---:|---:|---:|")
    base = rows[1][2]
    for name, size, ms, acc in rows:
        acc_text = f"{acc:.4f}" if acc is not None else "n/a"
        print(f"| {name} | {size / 1024:.0f} | {ms:.3f} | {acc_text} | {ms / base:.2f} |")


if __name__ == "__main__":
    main()

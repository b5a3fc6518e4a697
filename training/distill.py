"""Teacher probabilities for the Training faces, for distillation (`training.train --teacher`).

    python -m training.distill --models models/resnet runs/x/best.keras --tta smooth_flip --out runs/teacher.npy

The teacher is the mean of the models' probabilities, each with its test-time augmentation (a
model exported with one in its graph uses that one). A student trained towards these soft
targets learns which faces are ambiguous and how the averaged views see them, in one view.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

from training.data import DEFAULT_DATA, DataError, load_split  # noqa: E402
from training.evaluate import load_keras_model  # noqa: E402
from training.predict import mean_probabilities  # noqa: E402
from training.tta import TTA_CHOICES  # noqa: E402


def teacher_probabilities(models, faces_uint8, tta="none") -> np.ndarray:
    """(N, classes) mean probabilities of `models` over (N, 48, 48) uint8 faces."""
    return mean_probabilities(models, faces_uint8, tta, keep_graph_views=True).astype(np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", required=True, help="model folders or .keras files")
    p.add_argument("--tta", choices=TTA_CHOICES, default="smooth_flip", help="views for models without one in their graph")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--out", required=True, help=".npy file for training.train --teacher")
    args = p.parse_args(argv)
    try:
        faces = load_split(args.data, "Training")
        probs = teacher_probabilities([load_keras_model(m) for m in args.models], faces.x, args.tta)
    except (DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, probs)
    agree = (probs.argmax(1) == faces.y).mean()
    print(f"{args.out}: {probs.shape[0]} faces, teacher agrees with the label on {100 * agree:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())

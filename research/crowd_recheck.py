"""How many of the crowd model's faces the default should look at again, and what that buys.

    python -m research.crowd_recheck        # models/resnet_tiny, rechecked by models/resnet_slim

With many faces in view the page classifies them with the crowd model (a single view each,
static/js/inbrowser.js) and gives the faces it is unsure of, a top probability below a threshold,
to the default's single view. Per threshold: the share of faces rechecked and the accuracy of
the labels the page then shows, on FER+ PublicTest (the raters' majority: where the threshold is
chosen), FER+ PrivateTest, SFEW test and FER2013 PrivateTest on original pixels (reported only).
Both models' probabilities are calibrated (a temperature in each graph), so one threshold means
the same confidence for both.
"""
import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from training.benchmarks import ferplus_split, load_benchmark  # noqa: E402
from training.evaluate import ROOT, load_keras_model  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402
from training.tta import single_view  # noqa: E402

THRESHOLDS = (0, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.01)  # 0: never recheck; 1.01: every face


def rechecked(crowd, default, threshold):
    """The labels shown when faces with the crowd model's top probability below `threshold` take the
    default's, and which faces those were."""
    again = crowd.max(axis=1) < threshold
    return np.where(again, default.argmax(axis=1), crowd.argmax(axis=1)), again


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--crowd", default=str(ROOT / "models" / "resnet_tiny"))
    p.add_argument("--default", default=str(ROOT / "models" / "resnet_slim"))
    args = p.parse_args(argv)

    sets = {"FER+ PublicTest (selection)": ferplus_split("PublicTest"), "FER+ PrivateTest": load_benchmark("ferplus"),
            "SFEW test": load_benchmark("sfew"), "FER2013 PrivateTest, original pixels": load_benchmark("fer2013")}
    models = {role: single_view(load_keras_model(Path(path)), "smooth") for role, path in
              (("crowd", args.crowd), ("default", args.default))}
    print(f"crowd model {Path(args.crowd).name}, rechecked by {Path(args.default).name}; single views; "
          "each cell: accuracy (share of faces rechecked)")
    print("| threshold | " + " | ".join(sets) + " |")
    print("|---:|" + "---:|" * len(sets))
    probabilities = {name: {role: predict_probabilities(m, split.x) for role, m in models.items()} for name, split in sets.items()}
    for threshold in THRESHOLDS:
        cells = []
        for name, split in sets.items():
            shown, again = rechecked(probabilities[name]["crowd"], probabilities[name]["default"], threshold)
            cells.append(f"{(shown == split.y).mean():.2%} ({again.mean():.0%})")
        print(f"| {threshold:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

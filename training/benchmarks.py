"""The four benchmarks a model is judged on, loaded through one place.

| key                | faces                                         | labels                          |
|--------------------|-----------------------------------------------|---------------------------------|
| `fer2013`          | FER2013 PrivateTest, original pixels          | FER2013's own (the headline)    |
| `fer2013_remapped` | FER2013 PrivateTest, contrast-remapped copy   | FER2013's own (for continuity)  |
| `ferplus`          | FER2013 PrivateTest, original pixels          | FER+ raters' majority (7 classes; ties, contempt, unknown and not-a-face dropped) |
| `sfew`             | SFEW 2.0 Val (film stills), centre square     | SFEW's own                      |

All live under one datasets folder (`../shared/datasets` beside the repo by default); a benchmark
whose files are missing is reported as skipped, with the path it looked for.
"""
import functools
from pathlib import Path

import numpy as np

from training.data import Split, load_split
from training.extra_data import ferplus_majority, ferplus_votes_for, load_face_npz
from training.metrics import classification_report

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
BENCHMARKS = ("fer2013", "fer2013_remapped", "ferplus", "sfew")


def benchmark_files(root=DEFAULT_DATASETS) -> dict:
    """The files each benchmark needs, by benchmark key."""
    root = Path(root)
    original = root / "fer2013" / "fer2013_original.csv.gz"
    return {
        "fer2013": [original],
        "fer2013_remapped": [root / "fer2013" / "fer2013.csv.gz"],
        "ferplus": [original, root / "ferplus" / "ferplus.csv"],
        "sfew": [root / "sfew" / "sfew.npz"],
    }


def load_benchmark(name, root=DEFAULT_DATASETS) -> Split:
    """The faces and labels of benchmark `name` (one of BENCHMARKS)."""
    files = benchmark_files(root)[name]
    if name in ("fer2013", "fer2013_remapped"):
        return _fer2013_split(files[0], "PrivateTest")
    if name == "ferplus":
        return ferplus_split("PrivateTest", root)
    if name == "sfew":
        return load_face_npz(files[0], "test")
    raise ValueError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)}")


def ferplus_split(usage, root=DEFAULT_DATASETS) -> Split:
    """The faces of a FER2013 split (`usage`) on original pixels that FER+ gives a majority label, with
    it: PrivateTest is the `ferplus` benchmark (FER+ test), PublicTest FER+ valid (for selection)."""
    faces_csv, votes_csv = benchmark_files(root)["ferplus"]
    faces = _fer2013_split(faces_csv, usage)
    labels, keep = ferplus_majority(ferplus_votes_for(votes_csv, usage))
    return Split(faces.x[keep], labels[keep])


@functools.lru_cache(maxsize=4)
def _fer2013_split(path, usage) -> Split:
    # Parsing a FER2013 CSV takes seconds; fer2013 and ferplus read the same one.
    return load_split(path, usage)


def expected_calibration_error(y_true, probabilities, bins=15) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins
    weighted by how many faces fall in each (Guo et al. 2017)."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = sum(abs(correct[which == b].mean() - confidence[which == b].mean()) * (which == b).sum()
              for b in range(bins) if (which == b).any())
    return float(gap / len(confidence))


def score(y_true, probabilities) -> dict:
    """accuracy, macro_f1, n, recall per class and ECE of probabilities against labels."""
    report = classification_report(y_true, probabilities)
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "n": report["n"],
            "recall": report["recall"], "ece": round(expected_calibration_error(y_true, probabilities), 4)}


def run_benchmarks(predict, root=DEFAULT_DATASETS, names=BENCHMARKS) -> dict:
    """{benchmark: score, or {"skipped": why}} for `predict`: (N, 48, 48) uint8 faces -> probabilities."""
    results = {}
    for name in names:
        missing = [str(f) for f in benchmark_files(root)[name] if not f.exists()]
        if missing:
            results[name] = {"skipped": f"not found: {', '.join(missing)}"}
            continue
        faces = load_benchmark(name, root)
        results[name] = score(faces.y, predict(faces.x))
    return results

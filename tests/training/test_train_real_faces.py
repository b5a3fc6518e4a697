"""Training for real faces: FER+ vote distributions as targets, extra face sets, camera-like looks."""
import csv

import numpy as np
import pytest

from training import train
from training.data import load
from training.extra_data import FERPLUS_COLUMNS


def write_votes(data_path, path, seed=0):
    """A FER+ vote file aligned row by row with the CSV at `data_path`: each face's own label gets
    most votes, and every fifth face's majority is another class."""
    rng = np.random.default_rng(seed)
    column_of = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness", "sad": "sadness",
                 "surprise": "surprise", "neutral": "neutral"}
    from training.preprocessing import LABELS

    rows = []
    for usage, split in load(data_path).items():
        for i, y in enumerate(split.y):
            label = LABELS[(y + 1) % 7] if i % 5 == 0 else LABELS[y]
            counts = dict.fromkeys(FERPLUS_COLUMNS, 0)
            counts[column_of[label]] = 8
            counts[FERPLUS_COLUMNS[rng.integers(7)]] += 2
            rows.append({"Usage": usage, **counts})
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, ["row", "Usage", *FERPLUS_COLUMNS])
        writer.writeheader()
        writer.writerows({"row": i, **r} for i, r in enumerate(rows))
    return path


@pytest.mark.slow
def test_a_run_on_ferplus_votes_with_extra_faces_selects_on_the_raters_majority(small_data, tmp_path):
    votes = write_votes(small_data, tmp_path / "ferplus.csv")
    extra = tmp_path / "extra.npz"
    rng = np.random.default_rng(1)
    np.savez(extra, train_x=rng.integers(0, 256, (10, 121, 96), dtype=np.uint8), train_y=np.arange(10) % 7)
    run = tmp_path / "run"
    metrics = train.main(["--data", str(small_data), "--run-dir", str(run), "--arch", "resnet", "--epochs", "1",
                          "--batch-size", "32", "--verbose", "0", "--ferplus", str(votes), "--extra", f"{extra}:2",
                          "--photometric", "1"])
    # Selection and report count the faces that have a majority (here all of them), labelled by it.
    assert metrics["selected_on"] == "PublicTest" and metrics["splits"]["PrivateTest"]["n"] == 64
    faces = load(small_data)["PrivateTest"]
    majority = np.array(metrics["splits"]["PrivateTest"]["confusion_matrix"]).sum(axis=1)
    own = np.bincount(faces.y, minlength=7)
    assert majority.tolist() != own.tolist()  # the raters' labels, not FER2013's


def test_votes_that_do_not_line_up_with_the_data_are_refused(small_data, tmp_path):
    votes = write_votes(small_data, tmp_path / "ferplus.csv")
    lines = votes.read_text().splitlines()
    votes.write_text("\n".join(lines[:-3]) + "\n")  # three PrivateTest rows short
    with pytest.raises(train.DataError, match="aligned row by row"):
        train.main(["--data", str(small_data), "--run-dir", str(tmp_path / "run"), "--epochs", "1",
                    "--ferplus", str(votes)])

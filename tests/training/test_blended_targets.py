"""Blended targets: FER+ vote distributions mixed with FER2013's own labels, and a checkpoint kept on both."""
import csv

import numpy as np
import pytest

from training import train
from training.extra_data import blend_targets


def test_blend_gives_each_label_its_share():
    ferplus = np.array([[0, 0, 0, 0.75, 0, 0.25, 0], [0, 0, 0, 0, 0, 0, 1]], np.float32)
    one_hot = np.eye(7, dtype=np.float32)[[5, 6]]
    blended = blend_targets(ferplus, one_hot, 0.7)
    assert np.allclose(blended.sum(axis=1), 1)
    assert np.allclose(blended[0], [0, 0, 0, 0.525, 0, 0.475, 0])
    assert np.allclose(blended[1], one_hot[1])  # where both agree, the target is the label
    assert np.array_equal(blend_targets(ferplus, one_hot, 1.0), ferplus)
    assert np.array_equal(blend_targets(ferplus, one_hot, 0.0), one_hot)


def test_a_weight_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        blend_targets(np.zeros((1, 7)), np.zeros((1, 7)), 1.5)


def test_the_flags_default_to_the_raters_alone_and_the_selection_split():
    args = train.parse_args(["--run-dir", "x"])
    assert args.ferplus_weight == 1.0 and args.select_on == "selection"
    with pytest.raises(SystemExit):
        train.parse_args(["--run-dir", "x", "--ferplus-weight", "1.2"])


def test_blended_training_targets_mix_the_votes_with_the_label(small_data, small_votes):
    dataset = train.load(small_data)
    tr, select, report = train.choose_splits(dataset, "official", 0)
    args = train.parse_args(["--run-dir", "x", "--ferplus", str(small_votes), "--ferplus-weight", "0.6"])
    _, targets, _, _ = train.real_face_splits(args, dataset, tr, select, report)
    pure = train.parse_args(["--run-dir", "x", "--ferplus", str(small_votes)])
    kept, pure_targets, _, _ = train.real_face_splits(pure, dataset, tr, select, report)
    one_hot = np.eye(7, dtype=np.float32)[kept.y]
    assert np.allclose(targets, 0.6 * pure_targets + 0.4 * one_hot)
    assert np.allclose(targets.sum(axis=1), 1)


@pytest.mark.slow
def test_select_on_mean_logs_both_accuracies_and_keeps_the_best_mean(small_data, small_votes, tmp_path):
    run = tmp_path / "run"
    train.main(["--data", str(small_data), "--run-dir", str(run), "--arch", "resnet", "--epochs", "2",
                "--batch-size", "32", "--verbose", "0", "--ferplus", str(small_votes), "--ferplus-weight", "0.7",
                "--select-on", "mean"])
    with open(run / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for row in rows:
        own, raters = float(row["val_fer2013_accuracy"]), float(row["val_accuracy"])
        assert 0 <= own <= 1 and float(row["val_mean_accuracy"]) == pytest.approx((own + raters) / 2)
    assert (run / "best.keras").exists()


def test_make_train_blend_prints_a_command_train_accepts():
    import shlex
    import subprocess

    from tests.conftest import ROOT

    printed = subprocess.run(["make", "-n", "--no-print-directory", "train-blend"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.replace("\\\n", " ")
    commands = [shlex.split(line) for line in printed.splitlines() if "training.train" in line]
    assert len(commands) == 1
    args = train.parse_args(commands[0][3:])
    assert args.ferplus_weight == 0.7 and args.select_on == "mean" and args.init_from.endswith("model.keras")
    assert args.ferplus and len(args.extra) == 2 and args.photometric == 1

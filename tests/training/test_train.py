"""End-to-end: a short training run on a small slice writes every report, then resumes."""
import csv
import json

import numpy as np
import pytest

from training import train


@pytest.mark.slow
def test_short_run_writes_reports_and_resumes(small_data, tmp_path):
    run = tmp_path / "run"
    common = ["--data", str(small_data), "--run-dir", str(run), "--batch-size", "32", "--verbose", "0"]
    metrics = train.main(common + ["--epochs", "2"])

    for name in ("args.json", "log.csv", "best.keras", "last.keras", "metrics.json", "model_summary.txt",
                 "curves.png", "confusion_counts.png", "confusion_normalized.png", "per_class.png",
                 "label_distribution.png"):
        assert (run / name).stat().st_size > 0, name
    assert metrics["selected_on"] == "PublicTest" and metrics["reported_on"] == "PrivateTest"
    report = metrics["splits"]["PrivateTest"]
    assert report["n"] == 64 and np.sum(report["confusion_matrix"]) == 64
    assert metrics["label_counts"]["Training"] == json.loads((run / "metrics.json").read_text())["label_counts"]["Training"]
    with open(run / "log.csv") as f:
        log = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in log] == [0, 1]
    assert float(log[1]["learning_rate"]) == pytest.approx(1e-3 * 0.95)  # x0.95 per epoch
    assert all(float(r["epoch_seconds"]) > 0 for r in log)

    train.main(common + ["--epochs", "3", "--resume"])
    with open(run / "log.csv") as f:
        log = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in log] == [0, 1, 2]  # carried on, did not restart
    assert json.loads((run / "args.json").read_text())["epochs"] == 2  # the original recipe is kept
    assert json.loads((run / "args_resumed.json").read_text())["resume"] is True

    (run / "metrics.json").unlink()
    assert float(log[2]["learning_rate"]) == pytest.approx(1e-3 * 0.95 ** 2)
    best_before = (run / "best.keras").read_bytes()
    again = train.main(common + ["--report-only"])  # reports from best.keras, no training
    assert (run / "metrics.json").exists() and again["epochs_run"] == 3
    assert (run / "best.keras").read_bytes() == best_before
    with open(run / "log.csv") as f:
        assert len(list(csv.DictReader(f))) == 3


def test_official_protocol_needs_public_test(tmp_path):
    from training.data import DataError, Split

    only_train = {"Training": Split(np.zeros((1, 48, 48), np.uint8), np.zeros(1, np.int64))}
    with pytest.raises(DataError, match="Try --split random"):
        train.choose_splits(only_train, "official", seed=0)


@pytest.mark.slow
def test_stronger_recipe_trains_in_bfloat16_and_keeps_a_float32_best(small_data, tmp_path):
    import keras

    run = tmp_path / "run"
    metrics = train.main(["--data", str(small_data), "--run-dir", str(run), "--batch-size", "32", "--verbose", "0",
                          "--arch", "resnet", "--epochs", "2", "--optimizer", "sgd", "--lr", "0.05",
                          "--schedule", "cosine", "--label-smoothing", "0.1", "--erase", "0.5", "--mixup", "0.2",
                          "--precision", "mixed_bfloat16"])
    assert json.loads((run / "args.json").read_text())["precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored for the caller
    with open(run / "log.csv") as f:
        log = list(csv.DictReader(f))
    assert [float(r["learning_rate"]) for r in log] == pytest.approx([0.05, 0.025])  # cosine over 2 epochs
    best = keras.models.load_model(run / "best.keras")
    assert {layer.dtype_policy.name for layer in best.layers} == {"float32"}  # what ships and is reported
    assert metrics["splits"]["PrivateTest"]["n"] == 64


@pytest.mark.slow
def test_init_from_starts_from_the_given_weights_with_a_fresh_schedule(small_data, tmp_path):
    import keras

    from training.models import make_model

    start = make_model("mini_xception", (48, 48, 1), 7)
    start.save(tmp_path / "start.keras")
    run = tmp_path / "run"
    common = ["--data", str(small_data), "--run-dir", str(run), "--batch-size", "32", "--verbose", "0"]
    # A zero learning rate leaves the trainable weights where --init-from put them.
    train.main(common + ["--init-from", str(tmp_path / "start.keras"), "--epochs", "1", "--lr", "0"])
    last = keras.models.load_model(run / "last.keras")
    assert len(last.trainable_weights) == len(start.trainable_weights)
    for trained, initial in zip(last.trainable_weights, start.trainable_weights):
        np.testing.assert_array_equal(trained.numpy(), initial.numpy())
    assert json.loads((run / "args.json").read_text())["init_from"] == str(tmp_path / "start.keras")

    with pytest.raises(SystemExit, match="does not fit --arch resnet"):
        train.main(common + ["--init-from", str(tmp_path / "start.keras"), "--arch", "resnet", "--epochs", "1"])


def test_cosine_schedule_runs_from_lr_to_near_zero():
    args = train.parse_args(["--run-dir", "x", "--schedule", "cosine", "--lr", "0.1", "--epochs", "10"])
    rates = [train.learning_rate(args, e) for e in range(10)]
    assert rates[0] == pytest.approx(0.1) and rates[5] == pytest.approx(0.05)
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] < 0.003


def test_to_float32_keeps_the_weights_and_the_outputs():
    import keras

    from training.models import make_model

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = make_model("resnet", (48, 48, 1), 7)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    plain = train.to_float32(mixed)
    assert {layer.dtype_policy.name for layer in plain.layers} == {"float32"}
    x = np.random.default_rng(0).uniform(-1, 1, (4, 48, 48, 1)).astype(np.float32)
    # bfloat16 keeps 8 bits of mantissa, so the two agree only to about 1e-2.
    np.testing.assert_allclose(plain.predict(x, verbose=0), mixed.predict(x, verbose=0), atol=2e-2)
    assert train.to_float32(plain) is plain


def test_a_resumed_run_does_not_replay_the_first_epochs_batches(small_data):
    from training.data import load

    args = train.parse_args(["--run-dir", "x", "--batch-size", "32", "--erase", "0.5", "--mixup", "0.2"])
    faces = load(small_data)["Training"]

    def first_batch(initial_epoch):
        x, y = next(iter(train.training_stream(args, faces, initial_epoch)))
        return x.numpy(), y.numpy()

    fresh, again, resumed = first_batch(0), first_batch(0), first_batch(5)
    np.testing.assert_array_equal(fresh[0], again[0])  # seeded: the same run repeats
    assert np.abs(fresh[0] - resumed[0]).mean() > 0.1  # a resumed run draws other faces and views
    assert not np.allclose(fresh[1], resumed[1])


def test_distillation_targets_blend_the_teacher_with_the_label(small_data, tmp_path):
    from training.data import load

    faces = load(small_data)["Training"]
    teacher = np.random.default_rng(0).dirichlet(np.ones(7), len(faces)).astype(np.float32)
    np.save(tmp_path / "teacher.npy", teacher)
    targets = train.distillation_targets(tmp_path / "teacher.npy", 0.7, faces)
    np.testing.assert_allclose(targets, 0.7 * teacher + 0.3 * np.eye(7)[faces.y], atol=1e-6)

    args = train.parse_args(["--run-dir", "x", "--batch-size", "32", "--teacher", str(tmp_path / "teacher.npy"),
                             "--distill", "0.7", "--rotation", "0", "--shift", "0", "--zoom", "0", "--no-flip"])
    _, y = next(iter(train.training_stream(args, faces)))
    soft_rows = {tuple(np.round(t, 4)) for t in targets}
    assert all(tuple(np.round(row, 4)) in soft_rows for row in y.numpy())  # batches carry the soft targets

    np.save(tmp_path / "short.npy", teacher[:10])
    with pytest.raises(SystemExit, match=r"expected probabilities of shape \(192, 7\)"):
        train.distillation_targets(tmp_path / "short.npy", 0.5, faces)

"""The teacher ensemble and its consistent distillation into the student (training/ensemble_distill.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from training.tta import inner_network

from tests.conftest import RESNET_MODEL_DIR, ROOT
from training import ensemble_distill as ed
from training.augment import make_augmenter
from training.data import load
from training.evaluate import load_keras_model
from training.models import make_model

TINY_TEACHERS = ["--teacher-widths", "8", "16", "32", "64", "--teacher-blocks", "1", "1", "1"]


def test_mixup_blends_each_face_and_its_label_by_the_same_share():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 48, 48, 1)).astype(np.float32)
    y = np.eye(7, dtype=np.float32)[rng.integers(7, size=64)]
    mx, my = ed.mix(x, y, 0.2, np.random.default_rng(1))
    np.testing.assert_allclose(my.sum(1), 1, atol=1e-6)
    # Replay the draws: each face is lam * itself + (1 - lam) * its partner, and so is its label.
    replay = np.random.default_rng(1)
    lam, partner = replay.beta(0.2, 0.2, 64).astype(np.float32), replay.permutation(64)
    np.testing.assert_allclose(mx, lam[:, None, None, None] * x + (1 - lam[:, None, None, None]) * x[partner], atol=1e-6)
    np.testing.assert_allclose(my, lam[:, None] * y + (1 - lam[:, None]) * y[partner], atol=1e-6)
    assert 0 < np.mean((lam > 0.05) & (lam < 0.95)) < 1  # some faces really are blends, some nearly pure


def test_epoch_views_are_shuffled_augmented_and_scaled_with_their_own_labels():
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (100, 48, 48), dtype=np.uint8)
    labels = np.eye(7, dtype=np.float32)[np.arange(100) % 7]
    x, y = ed.epoch_views(make_augmenter(), faces, labels, np.random.default_rng(3), mixup=0.0, chunk=32)
    assert x.shape == (100, 48, 48, 1) and x.dtype == np.float32
    assert -1.0 <= x.min() and x.max() <= 1.0
    order = np.random.default_rng(3).permutation(100)  # the first draw of the run's generator
    np.testing.assert_array_equal(y, labels[order])
    unchanged = (x[..., 0] == faces[order] / 127.5 - 1).all(axis=(1, 2))
    assert unchanged.mean() < 0.5  # most views were rotated, shifted, zoomed or mirrored


def test_predict_pads_to_whole_batches_and_flip_averages_the_mirror():
    model = make_model("resnet", (48, 48, 1), 7, widths=(8, 16, 32, 64))
    x = np.random.default_rng(0).uniform(-1, 1, (5, 48, 48, 1)).astype(np.float32)
    np.testing.assert_allclose(ed.predict(model, x, batch_size=4), model.predict(x, verbose=0), atol=1e-5)
    mirrored = model.predict(x[:, :, ::-1], verbose=0)
    np.testing.assert_allclose(ed.predict(model, x, batch_size=4, flip=True),
                               (model.predict(x, verbose=0) + mirrored) / 2, atol=1e-5)


def test_students_fit_the_teachers_view_of_the_very_faces_they_see():
    trained = load_keras_model(RESNET_MODEL_DIR)
    teachers = [make_model("resnet", (48, 48, 1), 7, widths=(8, 16, 32, 64)), inner_network(trained)]
    rng = np.random.default_rng(0)
    views = rng.uniform(-1, 1, (6, 48, 48, 1)).astype(np.float32)
    labels = np.eye(7, dtype=np.float32)[[0, 1, 2, 3, 4, 5]]
    targets = ed.student_targets(teachers, views, labels, 0.8)
    mean = (teachers[0].predict(views, verbose=0) + teachers[1].predict(views, verbose=0)) / 2
    np.testing.assert_allclose(targets, 0.8 * mean + 0.2 * labels, atol=1e-5)
    other = ed.student_targets(teachers, np.zeros_like(views), labels, 0.8)  # other views, other targets
    assert np.abs(targets - other).max() > 0.01  # far above float error (1e-5)


def test_without_teachers_the_students_fit_the_labels_of_their_views():
    labels = np.eye(7, dtype=np.float32)[[0, 3]] * 0.7 + np.eye(7, dtype=np.float32)[[6, 1]] * 0.3  # mixed
    np.testing.assert_array_equal(ed.student_targets([], np.zeros((2, 48, 48, 1), np.float32), labels, 0.8), labels)


def test_the_plan_fills_the_budget_and_gives_the_student_its_ratio():
    args = ed.parse_args(["--out", "x", "--time-budget", "600", "--teachers", "2", "--student-ratio", "1.5"])
    measured = {"augment": 5e-5, "teacher_fit": 3e-5, "student_fit": [2e-5, 2.5e-5], "teacher_predict": 1e-5}
    teacher_epochs, student_epochs = ed.plan_epochs(args, measured, 28709, elapsed=60)
    assert student_epochs == round(1.5 * teacher_epochs)
    n = 28709
    spent = (2 * teacher_epochs * n * (3e-5 + 5e-5)
             + student_epochs * n * (2 * 1e-5 + 2e-5 + 2.5e-5 + 5e-5))
    assert 0.8 * 0.9 * 540 < spent <= 0.9 * 540 * 1.02
    more, _ = ed.plan_epochs(ed.parse_args(["--out", "x", "--time-budget", "1200", "--teachers", "2"]),
                             measured, 28709, elapsed=60)
    assert more > teacher_epochs


def test_flags_need_epochs_or_a_budget():
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x"])
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x", "--teacher-epochs", "3"])
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x", "--time-budget", "9", "--student-init", "scratch", "a.keras",
                       "--student-lr", "0.1", "0.2", "0.3"])
    with pytest.raises(SystemExit):  # no teachers: nothing to time a budget by
        ed.parse_args(["--out", "x", "--teachers", "0", "--time-budget", "600"])
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x", "--teachers", "-1", "--student-epochs", "1"])
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x", "--teachers", "0", "--student-epochs", "1", "--checkpoint-every", "0"])
    assert ed.parse_args(["--out", "x", "--teachers", "0", "--student-epochs", "60"]).student_epochs == 60
    with pytest.raises(SystemExit):  # teachers that are neither trained nor loaded
        ed.parse_args(["--out", "x", "--teacher-epochs", "0", "--student-epochs", "5"])
    with pytest.raises(SystemExit):  # nothing to train and nothing to score
        ed.parse_args(["--out", "x", "--teacher-epochs", "0", "--student-epochs", "0"])
    assert ed.parse_args(["--out", "x", "--teacher-init", "a", "--teacher-epochs", "0", "--student-epochs", "0"])
    teachers_only = ed.parse_args(["--out", "x", "--teacher-epochs", "5", "--student-epochs", "0"])
    assert teachers_only.teacher_batch_size == teachers_only.batch_size == 128


def test_teacher_weights_come_back_from_their_shards(tmp_path):
    teacher = make_model("resnet", (48, 48, 1), 7, widths=(8, 16, 32, 64), blocks=(1, 1, 1))
    views = np.random.default_rng(0).uniform(-1, 1, (8, 48, 48, 1)).astype(np.float32)
    paths = ed.save_weights(teacher, tmp_path, "teacher1", shard_bytes=100_000)
    assert len(paths) > 1 and all(p.stat().st_size < 100_000 + 50_000 for p in paths)  # one array may overrun
    twin = make_model("resnet", (48, 48, 1), 7, widths=(8, 16, 32, 64), blocks=(1, 1, 1))
    ed.load_weights(twin, tmp_path, "teacher1")
    np.testing.assert_allclose(twin.predict(views, verbose=0), teacher.predict(views, verbose=0), atol=2e-3)
    assert ed.save_weights(teacher, tmp_path, "teacher1") and len(list(tmp_path.glob("teacher1.*"))) == 1  # old shards go
    with pytest.raises(ValueError, match="teacher1.weights-0.npz"):
        ed.load_weights(make_model("resnet", (48, 48, 1), 7, widths=(8, 16, 32, 32), blocks=(1, 1, 1)),
                        tmp_path, "teacher1")
    with pytest.raises(FileNotFoundError, match="teacher2"):
        ed.load_weights(twin, tmp_path, "teacher2")


@pytest.mark.slow
def test_a_run_writes_teachers_probabilities_and_students_with_their_reports(small_data, tmp_path, capsys):
    out = tmp_path / "ensemble"
    # The second student starts from the shipped resnet's network; at learning rate 0 its kernels stay put.
    assert ed.main(["--data", str(small_data), "--out", str(out), "--teachers", "2", *TINY_TEACHERS,
                    "--teacher-epochs", "2", "--student-epochs", "1", "--batch-size", "32",
                    "--student-init", "scratch", str(RESNET_MODEL_DIR / "model.keras"),
                    "--student-lr", "0.1", "0"]) == 0
    data = load(small_data)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["teacher_epochs_run"] == 2 and plan["student_epochs_run"] == 1
    assert plan["params"]["student"] == 1_211_815  # resnet's architecture, whatever the teachers are
    log = (out / "log.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in log[1:]] == [
        ["teacher1", "1"], ["teacher1", "2"], ["teacher2", "1"], ["teacher2", "2"], ["student1", "1"], ["student2", "1"]]

    teacher = np.load(out / "teacher_train.npy")
    assert teacher.shape == (len(data["Training"]), 7)
    np.testing.assert_allclose(teacher.sum(1), 1, atol=1e-4)
    public = np.load(out / "teacher_public.npz")
    np.testing.assert_allclose(public["ensemble"], (public["teacher1"] + public["teacher2"]) / 2, atol=1e-6)

    default = load_keras_model(RESNET_MODEL_DIR)
    kept = keras.models.load_model(out / "student2.keras")
    assert kept.dtype_policy.name == "float32"
    first_conv = [w for w in kept.weights if "kernel" in w.path][0]
    np.testing.assert_array_equal(first_conv.numpy(), inner_network(default).weights[0].numpy())

    for name in ("student1", "student2"):  # small_data has a PrivateTest split, so each gets a run folder
        metrics = json.loads((out / name / "metrics.json").read_text())
        assert metrics["reported_on"] == "PrivateTest" and metrics["best_epoch"] == 1
        assert (out / name / "confusion_normalized.png").exists() and (out / name / "best.keras").exists()
    assert "ensemble" in capsys.readouterr().out

    # --report-only rebuilds the run folders from plan.json, log.csv and the students (as after a GPU run).
    for name in ("student1", "student2"):
        (out / name / "metrics.json").unlink()
    assert ed.main(["--data", str(small_data), "--out", str(out), "--report-only"]) == 0
    assert json.loads((out / "student2" / "metrics.json").read_text())["splits"]["PrivateTest"]["n"] == 64


@pytest.mark.slow
def test_the_control_run_trains_students_on_the_same_views_without_teachers(small_data, tmp_path):
    out = tmp_path / "control"
    assert ed.main(["--data", str(small_data), "--out", str(out), "--teachers", "0", "--student-epochs", "2",
                    "--batch-size", "32", "--limit", "96"]) == 0
    plan = json.loads((out / "plan.json").read_text())
    assert plan["teacher_epochs_run"] == 0 and plan["params"]["teacher"] == 0
    log = (out / "log.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in log[1:]] == [["student1", "1"], ["student1", "2"]]
    assert not (out / "teacher_train.npy").exists()  # no teachers, no teacher probabilities
    assert json.loads((out / "student1" / "metrics.json").read_text())["best_epoch"] == 2


@pytest.mark.slow
def test_teachers_trained_in_one_run_teach_in_the_next(small_data, tmp_path):
    first, second = tmp_path / "teachers", tmp_path / "students"
    common = ["--data", str(small_data), "--teachers", "1", *TINY_TEACHERS, "--batch-size", "32", "--limit", "96"]
    assert ed.main([*common, "--out", str(first), "--teacher-epochs", "1", "--student-epochs", "0"]) == 0
    assert [line.split(",")[0] for line in (first / "log.csv").read_text().splitlines()[1:]] == ["teacher1"]
    assert not (first / "student1.keras").exists()
    assert ed.main([*common, "--out", str(second), "--teacher-init", str(first),
                    "--teacher-epochs", "0", "--student-epochs", "1"]) == 0
    assert [line.split(",")[0] for line in (second / "log.csv").read_text().splitlines()[1:]] == ["student1"]
    # The same teacher, loaded and left as it was (float16 storage aside), sees PublicTest the same way.
    before, after = np.load(first / "teacher_public.npz"), np.load(second / "teacher_public.npz")
    np.testing.assert_allclose(after["teacher1"], before["teacher1"], atol=5e-3)
    # With no epochs at all it only scores the teachers, as for teachers trained without PublicTest.
    scored = tmp_path / "scored"
    assert ed.main([*common, "--out", str(scored), "--teacher-init", str(first),
                    "--teacher-epochs", "0", "--student-epochs", "0"]) == 0
    np.testing.assert_allclose(np.load(scored / "teacher_public.npz")["teacher1"], before["teacher1"], atol=5e-3)
    assert not (scored / "student1.keras").exists()
    # Resumed, such a run finds its teachers where --teacher-init says, not in its own folder.
    assert json.loads((second / "progress.json").read_text()) == {"teachers_done": 1, "student_epochs_done": 1}
    assert ed.main([*common, "--out", str(second), "--teacher-init", str(first),
                    "--teacher-epochs", "0", "--student-epochs", "1", "--resume"]) == 0


@pytest.mark.slow
def test_a_stopped_run_resumes_from_its_teachers_and_last_checkpoint(small_data, tmp_path, monkeypatch):
    out = tmp_path / "stopped"
    flags = ["--data", str(small_data), "--out", str(out), "--teachers", "1", *TINY_TEACHERS,
             "--teacher-epochs", "1", "--student-epochs", "4", "--checkpoint-every", "3", "--batch-size", "32",
             "--limit", "96"]
    record, epoch_of_views = ed.EpochLog.record, ed.ViewStream.epoch
    seen = []

    def views_seen(self, n=None):
        x, y = epoch_of_views(self, n)
        seen.append(x.tobytes())
        return x, y
    monkeypatch.setattr(ed.ViewStream, "epoch", views_seen)

    def stop_at_the_4th_student_epoch(self, name, model, epoch, *rest):
        if name == "student1" and epoch == 3:
            raise KeyboardInterrupt
        return record(self, name, model, epoch, *rest)
    monkeypatch.setattr(ed.EpochLog, "record", stop_at_the_4th_student_epoch)
    with pytest.raises(KeyboardInterrupt):
        ed.main(flags)
    assert json.loads((out / "progress.json").read_text()) == {"teachers_done": 1, "student_epochs_done": 3}
    checkpoint = keras.models.load_model(out / "student1.keras").get_weights()
    first_run = len(seen)

    monkeypatch.setattr(ed.EpochLog, "record", record)
    monkeypatch.setattr(ed, "measure_speeds", lambda *a: pytest.fail("a resumed run keeps its plan"))
    resumed_from = []
    restore = ed.restore

    def restore_and_look(out, teachers, students):
        restore(out, teachers, students)
        resumed_from.append(students[0].get_weights())
    monkeypatch.setattr(ed, "restore", restore_and_look)
    assert ed.main([*flags, "--resume"]) == 0
    rows = [line.split(",")[:2] for line in (out / "log.csv").read_text().splitlines()[1:]]
    assert rows == [["teacher1", "1"]] + [["student1", str(e)] for e in range(1, 5)]  # nothing twice
    assert seen[first_run] not in seen[:first_run]  # the resumed epoch gets new views, not the first epoch's again
    assert json.loads((out / "progress.json").read_text())["student_epochs_done"] == 4
    assert json.loads((out / "student1" / "metrics.json").read_text())["best_epoch"] == 4
    for resumed, saved in zip(resumed_from[0], checkpoint):  # the student went on from its checkpoint
        np.testing.assert_array_equal(resumed, saved)
    assert ed.main(["--data", str(small_data), "--out", str(tmp_path / "never"), "--teachers", "0",
                    "--student-epochs", "1", "--resume"]) == 2  # nothing there to resume


def test_a_bad_dataset_is_an_error_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    assert ed.main(["--data", str(bad), "--out", str(tmp_path / "o"), "--time-budget", "9"]) == 2
    assert "bad.npz" in capsys.readouterr().err


@pytest.mark.slow
def test_it_runs_on_jax_without_tensorflow(small_data, tmp_path):
    """The accelerator machine has JAX and no TensorFlow: run there as it would, TensorFlow blocked."""
    pytest.importorskip("jax")
    block_tf = (
        "import importlib.abc, runpy, sys\n"
        "class NoTF(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'tf_keras'):\n"
        "            raise ImportError(name + ' is blocked')\n"
        "sys.meta_path.insert(0, NoTF())\n"
        "sys.argv = ['ensemble_distill'] + sys.argv[1:]\n"
        "runpy.run_module('training.ensemble_distill', run_name='__main__')\n"
    )
    out = tmp_path / "jax"
    result = subprocess.run(
        [sys.executable, "-c", block_tf, "--data", str(small_data), "--out", str(out), "--teachers", "1",
         *TINY_TEACHERS, "--teacher-epochs", "1", "--student-epochs", "1", "--batch-size", "32", "--limit", "96"],
        cwd=ROOT, env={**os.environ, "KERAS_BACKEND": "jax"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / "plan.json").read_text())["backend"] == "jax"
    assert Path(out / "student1.keras").exists() and (out / "student1" / "metrics.json").exists()

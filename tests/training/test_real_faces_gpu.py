"""The real-faces stage on an accelerator machine: training.ensemble_distill on blended targets
(FER+ votes and FER2013's labels), extra face sets and camera-like looks, carried and run by
scripts/offline_gpu.sh (bundle-extras here, train-real-faces there)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.conftest import RESNET_MODEL_DIR
from training import ensemble_distill as ed
from training.data import load
from training.extra_data import ferplus_soft_targets, ferplus_votes_for, load_face_npz

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "offline_gpu.sh"


def test_the_students_labels_blend_the_votes_with_fer2013s_and_add_the_face_sets(small_data, small_votes,
                                                                                 small_face_set):
    train = load(small_data)["Training"]
    args = ed.parse_args(["--out", "x", "--teachers", "0", "--student-epochs", "1", "--ferplus", str(small_votes),
                          "--ferplus-weight", "0.6", "--extra", f"{small_face_set}:2"])
    faces, labels = ed.training_faces(args, train)
    soft, keep = ferplus_soft_targets(ferplus_votes_for(small_votes, "Training"))
    kept = keep.sum()
    assert len(faces) == len(labels) == kept + 2 * 10
    expected = 0.6 * soft[keep] + 0.4 * np.eye(7)[train.y[keep]]
    np.testing.assert_allclose(labels[:kept], expected, atol=1e-6)
    np.testing.assert_array_equal(labels[kept:], np.eye(7)[np.tile(np.arange(10) % 7, 2)])
    assert faces.x.shape[1:] == (48, 48)


def test_without_votes_the_labels_are_fer2013s_own(small_data):
    train = load(small_data)["Training"]
    faces, labels = ed.training_faces(ed.parse_args(["--out", "x", "--teachers", "0", "--student-epochs", "1"]), train)
    np.testing.assert_array_equal(faces.x, train.x)
    np.testing.assert_array_equal(labels, np.eye(7)[train.y])


def test_a_weight_outside_zero_to_one_is_refused():
    with pytest.raises(SystemExit):
        ed.parse_args(["--out", "x", "--teachers", "0", "--student-epochs", "1", "--ferplus-weight", "-0.1"])


def test_views_take_the_camera_look_before_the_geometry():
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (20, 48, 48), dtype=np.uint8)
    labels = np.eye(7, dtype=np.float32)[np.arange(20) % 7]
    identity = keras.Sequential([keras.layers.Identity()])
    x, y = ed.epoch_views(identity, faces, labels, np.random.default_rng(3), photometric=lambda f: 255 - f)
    order = np.random.default_rng(3).permutation(20)
    np.testing.assert_allclose(x[..., 0], (255 - faces[order]) / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, labels[order])


def test_the_stage_needs_no_tensorflow():
    """The accelerator machine has JAX and no TensorFlow; the new imports (photometric, extra_data) add none."""
    pytest.importorskip("jax")
    check = "import sys, training.ensemble_distill; sys.exit('tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", check], cwd=REPO, env={**os.environ, "KERAS_BACKEND": "jax"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def call_tree(root, name):
    tree = root / name
    tree.mkdir()
    for package in ("training", "scripts"):
        (tree / package).symlink_to(REPO / package)
    return tree


def test_bundle_extras_carries_the_votes_and_the_face_sets_at_48x48(small_votes, small_face_set, tmp_path):
    datasets = tmp_path / "datasets"
    for folder, name, source in (("ferplus", "ferplus.csv", small_votes), ("sfew", "sfew.npz", small_face_set),
                                 ("nimstim_subset", "nimstim_subset.npz", small_face_set)):
        (datasets / folder).mkdir(parents=True)
        shutil.copy(source, datasets / folder / name)
    tree = call_tree(tmp_path, "here")
    done = subprocess.run(["bash", str(SCRIPT), "bundle-extras"], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "DATASETS": str(datasets), "PYTHON_HERE": sys.executable}, timeout=300)
    assert done.returncode == 0, done.stderr
    extra = tree / ".gpu" / "extra"
    assert (extra / "ferplus.csv").read_bytes() == small_votes.read_bytes()
    for name in ("sfew_train.npz", "nimstim_train.npz"):
        carried, original = load_face_npz(extra / name), load_face_npz(small_face_set)
        assert carried.x.shape == (10, 48, 48)
        np.testing.assert_array_equal(carried.x, original.x)  # 48x48 faces load as they are
        np.testing.assert_array_equal(carried.y, original.y)


@pytest.mark.slow
def test_train_real_faces_fine_tunes_resnet_on_blended_labels_and_hands_it_back(small_data, small_votes,
                                                                                     small_face_set, tmp_path):
    from scripts.data_chunks import pack

    tree = call_tree(tmp_path, "call")
    pack({"Training": load(small_data)["Training"]}, tree / ".gpu" / "data", part_bytes=10_000_000)
    extra = tree / ".gpu" / "extra"
    extra.mkdir()
    shutil.copy(small_votes, extra / "ferplus.csv")
    for name in ("sfew_train.npz", "nimstim_train.npz"):
        shutil.copy(small_face_set, extra / name)
    out = tmp_path / "OUT"
    out.mkdir()
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "FER_OFFLINE_DIR": str(tmp_path / "machine"),
           "START": str(RESNET_MODEL_DIR / "model.keras"), "KERAS_BACKEND": "jax"}
    done = subprocess.run(["bash", str(SCRIPT), "train-real-faces", "--ferplus-weight", "0.7", "--student-epochs",
                           "1", "--student-lr", "0.001"], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    back = {p.name for p in out.iterdir()}
    assert {"student1.keras", "log.csv", "plan.json"} <= back
    plan = (out / "plan.json").read_text()
    assert '"ferplus_weight": 0.7' in plan and '"photometric": 1.0' in plan and '"teachers": 0' in plan

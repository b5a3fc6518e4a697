"""scripts/offline_gpu.sh as an offline machine runs it: two calls, each with part of the data, then
the files that come back. Here on the CPU, with a tiny run; each call gets its own folder, as each
call to such a machine gets its own copy of the working tree."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.data import load
from scripts.data_chunks import INDEX, pack

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "offline_gpu.sh"
TINY_RUN = ["--teachers", "1", "--teacher-widths", "8", "16", "32", "64", "--teacher-blocks", "1", "1", "1",
            "--teacher-epochs", "1", "--student-epochs", "1", "--batch-size", "32", "--limit", "96"]


def call_folder(root, name, parts):
    """A working tree as one call sees it: the repo's code and only the data parts that call carries."""
    tree = root / name
    (tree / ".gpu" / "data").mkdir(parents=True)
    for package in ("training", "scripts"):
        (tree / package).symlink_to(REPO / package)
    for part in parts:
        (tree / ".gpu" / "data" / part.name).write_bytes(part.read_bytes())
    return tree


def run_script(tree, *args, **env):
    out = tree / "OUT"
    out.mkdir()
    environ = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, **env}
    done = subprocess.run(["bash", str(SCRIPT), *args], cwd=tree, env=environ, capture_output=True, text=True,
                          timeout=600)
    return done, out


@pytest.fixture
def parts(small_data, tmp_path):
    paths = pack({"Training": load(small_data)["Training"]}, tmp_path / "packed", part_bytes=200_000)
    assert len(paths) >= 2
    return paths[:1], paths[1:], tmp_path / "packed" / INDEX


def test_two_calls_receive_the_data_then_train_and_hand_back_the_run(parts, tmp_path):
    first, rest, index = parts
    work = tmp_path / "machine"

    received, _ = run_script(call_folder(tmp_path, "call1", [index, *first]), "receive", FER_OFFLINE_DIR=str(work))
    assert received.returncode == 0, received.stderr
    assert (work / "parts" / first[0].name).exists() and not (work / "parts" / rest[0].name).exists()

    trained, out = run_script(call_folder(tmp_path, "call2", [index, *rest]), "train", *TINY_RUN,
                              FER_OFFLINE_DIR=str(work))
    assert trained.returncode == 0, trained.stderr
    back = {p.name for p in out.iterdir()}
    assert {"log.csv", "plan.json", "progress.json"} <= back
    assert "teacher1.weights-0.npz" in back and "student1.keras" in back
    assert len(back) <= 8  # what a call hands back


def test_a_run_stopped_at_its_time_says_how_to_go_on_and_fails(parts, tmp_path):
    first, rest, index = parts
    stopped, _ = run_script(call_folder(tmp_path, "call", [index, *first, *rest]), "train", *TINY_RUN,
                              FER_OFFLINE_DIR=str(tmp_path / "machine"), TRAIN_SECONDS="1")
    assert stopped.returncode == 124
    assert "--resume" in stopped.stdout


def test_missing_data_and_unknown_commands_fail_plainly(tmp_path):
    tree = call_folder(tmp_path, "call", [])
    done, _ = run_script(tree, "train", FER_OFFLINE_DIR=str(tmp_path / "machine"))
    assert done.returncode != 0 and "cannot read the index" in done.stderr
    done = subprocess.run(["bash", str(SCRIPT), "fly"], cwd=tree, env={**os.environ, "OUT": str(tmp_path)},
                          capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr

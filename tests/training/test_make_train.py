"""`make train` then `make export` (the wider models/resnet), and `make train-slim` then `make export-slim`
(the shipped default, models/resnet_slim, from it): each whole recipe, every stage fed by the one before.

The recipe takes hours on a CPU (and its last stage wants a GPU), so this runs the very commands
make prints, with each stage's epochs cut to 1, on the small CSV. What it checks is the wiring: the
flags each tool accepts, and each stage finding the files the previous one wrote.
"""
import json
import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SHORT_EPOCHS = 1


def recipe_commands(*make_args) -> list[list[str]]:
    """The Python commands `make -n` prints for the given targets and variables."""
    printed = subprocess.run(["make", "-n", "--no-print-directory", *make_args], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.replace("\\\n", " ")
    commands = [shlex.split(line) for line in printed.splitlines()]
    # Only the recipe's own steps; set-up lines (pip, npm, the face detectors' build) may appear when a stamp is stale.
    return [[sys.executable, *cmd[1:]] for cmd in commands
            if len(cmd) > 2 and cmd[1] == "-m" and cmd[2].startswith(("training.", "converters."))
            and cmd[2] != "converters.face_detector"]


def shortened(command: list[str]) -> list[str]:
    """Every epoch count cut to SHORT_EPOCHS, the checkpoints named by epoch with it, and the wide
    teachers narrowed (on a CPU, predicting with two 11 M-parameter teachers alone takes minutes)."""
    text = shlex.join(command)
    text = re.sub(r"--(teacher-|student-)?epochs \d+", rf"--\g<1>epochs {SHORT_EPOCHS}", text)
    text = re.sub(r"epochs/\d+\.keras", f"epochs/{SHORT_EPOCHS:02d}.keras", text)  # train.py names them 01, 02...
    if command[2] == "training.ensemble_distill":
        text += " --teacher-widths 8 16 32 64"
    return shlex.split(text)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the whole recipe, each stage cut short: about 4 minutes here
def test_make_train_then_export_runs_end_to_end(small_data, small_votes, small_face_set, tmp_path):
    runs, out = tmp_path / "runs", tmp_path / "default"
    commands = recipe_commands("train", "export", f"DATA={small_data}", f"ORIGINAL={small_data}",
                               f"FERPLUS={small_votes}", f"EXTRA={small_face_set}:2", f"DATASETS={tmp_path}",
                               f"RUNS={runs}", f"EXPORT_DIR={out}")
    steps = [cmd[2] for cmd in commands]
    assert steps == ["training.train"] * 4 + ["training.distill", "training.train", "training.ensemble_distill",
                                              "training.train", "training.train", "converters.export"]
    for command in map(shortened, commands):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{shlex.join(command)} failed:\n{done.stderr[-3000:]}"

    assert (runs / "teacher.npy").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["test_time_augmentation"] == "smooth_flip"
    assert manifest["training"]["epochs_run"] == SHORT_EPOCHS  # the provenance is the student's own run
    assert set(manifest["metrics"]) == {"PublicTest", "PrivateTest"}
    assert manifest["calibration"]["fitted_on"].startswith("PublicTest, the FER+ raters' majority")
    assert all("skipped" in result for result in manifest["benchmarks"].values())  # no datasets in tmp_path
    for entry in manifest["formats"].values():
        assert (out / entry["path"]).exists(), entry


# The pruned models' recipes: (name, export directory variable, the model pruned and distilled from,
# its training stages, each stage's run folder and teacher share).
PRUNED_RECIPES = [
    ("slim", "SLIM_EXPORT_DIR", "models/resnet", 4, [("slim", 0.5), ("slim_long", 0.7), ("slim_long2", 0.7)]),
    ("tiny", "TINY_EXPORT_DIR", "models/resnet_slim", 2, [("tiny_a", 0.5), ("tiny_b", 0.7)]),
]


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name, out_variable, teacher, stages, distilled", PRUNED_RECIPES, ids=[r[0] for r in PRUNED_RECIPES])
def test_make_train_pruned_model_then_export_prunes_its_teacher_and_distils_it(
        small_data, small_votes, small_face_set, tmp_path, name, out_variable, teacher, stages, distilled):
    """make train-slim / export-slim (the default, from the wider resnet) and make train-tiny /
    export-tiny (the crowd model, from the default)."""
    runs, out = tmp_path / "runs", tmp_path / name
    commands = recipe_commands(f"train-{name}", f"export-{name}", f"DATA={small_data}", f"ORIGINAL={small_data}",
                               f"FERPLUS={small_votes}", f"EXTRA={small_face_set}:2", f"DATASETS={tmp_path}",
                               f"RUNS={runs}", f"{out_variable}={out}")
    assert [cmd[2] for cmd in commands] == ["training.prune"] + ["training.train"] * stages + ["converters.export"]
    assert commands[0][commands[0].index("--model") + 1] == teacher  # SLIM_FROM / TINY_FROM
    for command in map(shortened, commands):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{shlex.join(command)} failed:\n{done.stderr[-3000:]}"

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"].startswith(f"resnet_{name}")  # then its test-time views
    for stage, weight in distilled:
        args = json.loads((runs / stage / "args.json").read_text())
        assert args["teacher_model"] == teacher and args["distill"] == weight, (stage, args)
    assert (out / manifest["formats"]["tfjs_uint8"]["path"]).exists()

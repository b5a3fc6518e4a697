"""Train an ensemble of wide teachers, then distil it view by view into the compact student.

    KERAS_BACKEND=jax python -m training.ensemble_distill --out runs/ensemble --time-budget 480
    python -m training.ensemble_distill --out runs/ensemble --teacher-epochs 40 --student-epochs 60

Made for an accelerator machine that has JAX (or PyTorch) and no TensorFlow, so nothing here uses
tf.data: each epoch is augmented in a few calls on the accelerator with training.augment's own
layers, then fitted from arrays. It runs on TensorFlow too (the tests do), only slowly on a CPU.

The student is taught *consistently* (Beyer et al., 2022, "Knowledge distillation: a good teacher
is patient and consistent"): its target for every augmented, mixed face is the teachers' mean
prediction on that very view, not one soft label per face fixed in advance (training.distill),
which a rotated, erased or mixed view may no longer bear out.

--time-budget sizes the run to the machine: after compiling, it times a few batches of each model
and picks the epochs (the student gets --student-ratio times the teachers'). plan.json records the
epochs chosen, so the same run can be repeated anywhere with --teacher-epochs/--student-epochs.
--teachers 0 --student-epochs N trains the students on the same kind of views from their labels
alone: the control that tells what the teachers add. --student-epochs 0 trains teachers only, and a
later run with --teacher-init on that --out (and --teacher-epochs 0) distils from them, so teachers
trained on one machine can teach on another; with --student-epochs 0 too, it only scores them
(teacher_public.npz), as for teachers trained without PublicTest at hand. --resume continues a
stopped run (one that hit a time limit, say) from its finished teachers and its students' last
checkpoint, saved every --checkpoint-every epochs. --ferplus (with --ferplus-weight), --extra and
--photometric give the models training.train's real-faces data: FER+ vote distributions blended
with FER2013's labels, extra face sets and camera-like looks (scripts/offline_gpu.sh train-real-faces:
the last stage on an accelerator, from the shipped student, with --teachers 0).

Writes to --out: plan.json, log.csv (one row per model and epoch), teacher_train.npy (the teachers'
flip-averaged probabilities for the Training faces, for training.train --teacher),
teacher_public.npz (each teacher's and the ensemble's PublicTest probabilities),
teacher<i>.weights-<k>.npz (the teachers, for a later --teacher-init) and student<i>.keras, float32
students ready for converters.export.
"""
import argparse
import csv
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from training import reports  # noqa: E402
from training.augment import make_augmenter  # noqa: E402
from training.data import DEFAULT_DATA, DataError, load  # noqa: E402
from training.evaluate import load_keras_model  # noqa: E402
from training.extra_data import ferplus_training_targets, ferplus_votes_for, with_face_sets  # noqa: E402
from training.models import make_model, to_float32  # noqa: E402
from training.photometric import make_photometric  # noqa: E402
from training.preprocessing import INPUT_SHAPE, NUM_CLASSES, preprocess_batch  # noqa: E402
from training.schedules import cosine  # noqa: E402
from training.tta import inner_network  # noqa: E402

SCRATCH = "scratch"  # a --student-init entry: start from random weights
# The student is the shipped default's architecture (training.models.make_resnet's defaults).
STUDENT_WIDTHS, STUDENT_BLOCKS = (32, 64, 128, 256), (1, 1, 1)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV, .csv.gz, .npz or image folder")
    p.add_argument("--out", required=True, help="folder for the plan, log, teacher probabilities and students")
    p.add_argument("--teachers", type=int, default=3,
                   help="number of teachers (seeds --seed, --seed+1, ...); 0: the students learn from the labels "
                        "alone, on the same views (the control for what the teachers add)")
    p.add_argument("--teacher-widths", type=int, nargs="+", default=[64, 128, 256, 512])
    p.add_argument("--teacher-blocks", type=int, nargs="+", default=[2, 2, 2])
    p.add_argument("--teacher-lr", type=float, default=0.1, help="SGD (Nesterov) learning rate, cosine to 0")
    p.add_argument("--teacher-init", help="an earlier run's --out: the teachers start from its teacher<i> weights "
                                          "(trained on with a fresh cosine, or used as they are with --teacher-epochs 0)")
    p.add_argument("--teacher-batch-size", type=int, help="default: --batch-size")
    p.add_argument("--student-init", nargs="+", default=[SCRATCH],
                   help=f"one student per entry: {SCRATCH!r}, or a .keras model or model folder (its network, "
                        "inside any test-time views) whose weights it starts from")
    p.add_argument("--student-lr", type=float, nargs="+", default=[0.1],
                   help="one learning rate per student, or one for all")
    p.add_argument("--distill", type=float, default=0.8, help="the teachers' share of each student target")
    p.add_argument("--teacher-epochs", type=int, help="default: chosen by --time-budget; 0 with --teacher-init: "
                                                         "use those teachers as they are (and with --student-epochs 0, "
                                                         "only score them on the data)")
    p.add_argument("--student-epochs", type=int, help="default: chosen by --time-budget; 0: train the teachers only")
    p.add_argument("--student-ratio", type=float, default=1.5, help="with --time-budget: student/teacher epochs")
    p.add_argument("--time-budget", type=float, default=0, help="seconds for the whole run (sizes the epochs)")
    p.add_argument("--ferplus", default="",
                   help="FER+ votes (ferplus.csv, aligned with --data's Training): the labels become the raters' "
                        "vote distributions blended with FER2013's own by --ferplus-weight (training.extra_data)")
    p.add_argument("--ferplus-weight", type=float, default=1.0,
                   help="with --ferplus, the raters' share of each label; FER2013's one-hot label has the rest")
    p.add_argument("--extra", nargs="*", default=[], metavar="NPZ[:REPEAT]",
                   help="face sets (train_x, train_y arrays, e.g. sfew.npz) added to Training, each repeated "
                        "REPEAT times per epoch (default 1)")
    p.add_argument("--photometric", type=float, default=0.0,
                   help="strength of the camera-like photometric augmentation (training/photometric.py); 0 is off")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--l2", type=float, default=2.5e-4)
    p.add_argument("--mixup", type=float, default=0.2, help="mixup's Beta(alpha, alpha); 0 turns it off")
    p.add_argument("--erase", type=float, default=0.5)
    p.add_argument("--sharp", type=float, default=0.3)
    p.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                   help="auto: mixed_bfloat16 on an accelerator, else float32")
    p.add_argument("--limit", type=int, default=0, help="use only the first N faces of each split (smoke runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true",
                   help="continue a stopped run in --out (same flags): finished teachers and the students' last "
                        "checkpoint are kept, the epochs of its plan.json are run")
    p.add_argument("--checkpoint-every", type=int, default=10,
                   help="save the students every N epochs (and at the end); on a CPU, where an epoch takes "
                        "minutes, 1 loses least to a stop")
    p.add_argument("--report-only", action="store_true",
                   help="no training: write each student's run folder (metrics, plots) from a finished --out, "
                        "e.g. where the training machine had no PrivateTest")
    args = p.parse_args(argv)
    if args.report_only:
        return args
    if not 0 <= args.ferplus_weight <= 1:
        p.error(f"--ferplus-weight {args.ferplus_weight}: expected a share between 0 and 1")
    if len(args.student_lr) not in (1, len(args.student_init)):
        p.error("--student-lr takes one rate, or one per --student-init entry")
    if args.teachers < 0:
        p.error("--teachers takes 0 or more")
    if args.checkpoint_every < 1:
        p.error("--checkpoint-every takes 1 or more")
    args.teacher_batch_size = args.teacher_batch_size or args.batch_size
    if args.teachers == 0:
        if not args.student_epochs or args.teacher_epochs or args.teacher_init:
            p.error("--teachers 0 takes --student-epochs alone (there are no teachers to train, load or time)")
        args.teacher_epochs = 0
        return args
    if args.teacher_epochs is None and args.student_epochs is None:
        if not args.time_budget:
            p.error("give both --teacher-epochs and --student-epochs, or --time-budget")
    elif args.teacher_epochs is None or args.student_epochs is None:
        p.error("give both --teacher-epochs and --student-epochs, or neither (with --time-budget)")
    elif args.teacher_epochs == 0 and not args.teacher_init:
        p.error("--teacher-epochs 0 needs trained teachers: --teacher-init")
    # --teacher-init with both 0 trains nothing: it scores those teachers (teacher_public.npz, teacher_train.npy),
    # e.g. here on the CPU for teachers trained on a machine that had no PublicTest.
    return args


# --- Views ---

def epoch_views(augmenter, faces, labels, rng, mixup=0.0, chunk=8192, photometric=None):
    """One epoch of training views of (N, 48, 48) uint8 `faces` with (N, classes) `labels`: shuffled,
    given camera-like looks (`photometric`, on the CPU), augmented on the accelerator, scaled to
    [-1, 1] and mixed. Returns float32 (x, y)."""
    order = rng.permutation(len(faces))
    raw = faces[order] if photometric is None else photometric(faces[order])
    raw = raw[..., None].astype(np.float32)
    x = np.concatenate([keras.ops.convert_to_numpy(augmenter(raw[i:i + chunk], training=True))
                        for i in range(0, len(raw), chunk)])
    x = preprocess_batch(x[..., 0])
    y = labels[order]
    return mix(x, y, mixup, rng) if mixup else (x, y)


def mix(x, y, alpha, rng):
    """Mixup (Zhang et al., 2018) over a whole epoch: each face and its label blended with a random
    partner's in proportion lam ~ Beta(alpha, alpha), drawn per face. (training.augment.make_mixup
    is the same blend for tf.data batches.)"""
    lam = rng.beta(alpha, alpha, len(x)).astype(np.float32)
    partner = rng.permutation(len(x))
    lx, ly = lam[:, None, None, None], lam[:, None]
    return lx * x + (1 - lx) * x[partner], ly * y + (1 - ly) * y[partner]


def whole_batches(x, y, batch_size):
    """The views trimmed to whole batches: one compiled step shape, and no tiny tail batch."""
    n = len(x) // batch_size * batch_size or len(x)
    return x[:n], y[:n]


# --- Models ---

def build(widths, blocks, l2, lr):
    model = make_model("resnet", INPUT_SHAPE, NUM_CLASSES, l2=l2, widths=tuple(widths), blocks=tuple(blocks))
    model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.9, nesterov=True),
                  loss=keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    return model


def fit_epoch(model, x, y, batch_size, lr):
    """One pass over already shuffled views at learning rate `lr`; returns (loss, accuracy)."""
    model.optimizer.learning_rate = lr
    history = model.fit(*whole_batches(x, y, batch_size), batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][-1], history.history["accuracy"][-1]


def predict(model, x, batch_size=1024, flip=False):
    """Probabilities for `x` (and its mirror image, averaged, with `flip`). The faces are padded to
    whole batches so that each model compiles one prediction step, not one per tail length."""
    n = len(x)
    padded = np.concatenate([x, np.zeros((-n % batch_size, *x.shape[1:]), x.dtype)])
    probs = model.predict(padded, batch_size=batch_size, verbose=0)[:n]
    return (probs + predict(model, x[:, :, ::-1], batch_size)) / 2 if flip else probs


def ensemble_predict(models, x, flip=False):
    return np.mean([predict(m, x, flip=flip) for m in models], axis=0)


def student_targets(teachers, views, labels, teacher_share):
    """What the students fit on this epoch's `views`: the teachers' mean prediction on these very
    views (consistent teaching), blended with the views' (mixed) labels; the labels alone without teachers."""
    if not teachers:
        return labels
    return teacher_share * ensemble_predict(teachers, views) + (1 - teacher_share) * labels


def seconds_per_face(model, x, y, batch_size, steps=16):
    """Steady-state training seconds per face, timed after a first (compiling) call at learning rate 0.
    The model's weights are as before (learning rate 0 spares the kernels, not batch-norm statistics)."""
    x, y = x[:steps * batch_size], y[:steps * batch_size]
    weights = model.get_weights()
    fit_epoch(model, x, y, batch_size, lr=0.0)
    start = time.perf_counter()
    fit_epoch(model, x, y, batch_size, lr=0.0)
    seconds = (time.perf_counter() - start) / len(x)
    model.set_weights(weights)
    return seconds


# --- The run ---

def choose_precision(flag):
    """auto: bfloat16 mixed precision where the backend sees an accelerator, else float32. (Not
    training.train's rule, which is TensorFlow's own and also uses bfloat16 on CPUs with AMX.)"""
    if flag != "auto":
        return flag
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        on_accelerator = jax.default_backend() != "cpu"
    elif backend == "torch":
        import torch
        on_accelerator = torch.cuda.is_available()
    else:
        import tensorflow as tf
        on_accelerator = bool(tf.config.list_physical_devices("GPU"))
    return "mixed_bfloat16" if on_accelerator else "float32"


def plan_epochs(args, measured, n_train, elapsed):
    """Epochs that fit what is left of --time-budget, from the measured seconds per face. A teacher
    epoch is one teacher's fit; a student epoch is the teachers' predictions plus every student's fit."""
    teacher_epoch = n_train * measured["teacher_fit"]
    student_epoch = n_train * (args.teachers * measured["teacher_predict"]
                               + sum(measured["student_fit"]) + measured["augment"])
    per_teacher_epoch = args.teachers * (teacher_epoch + n_train * measured["augment"])
    # 10% kept back for evaluation, the final predictions and saving.
    left = 0.9 * (args.time_budget - elapsed)
    teacher_epochs = max(1, int(left / (per_teacher_epoch + args.student_ratio * student_epoch)))
    return teacher_epochs, max(1, round(args.student_ratio * teacher_epochs))


def run(args):
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done = read_progress(out) if args.resume else {"teachers_done": 0, "student_epochs_done": 0}
    seed = stream_seed(args.seed, done)
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)

    dataset = load(args.data)
    if "Training" not in dataset:
        raise DataError(f"{args.data}: no Training split; found {sorted(dataset)}")
    if args.limit:
        dataset = {name: s.take(slice(0, args.limit)) for name, s in dataset.items()}
    train, public = dataset["Training"], dataset.get("PublicTest")
    faces, labels = training_faces(args, train)
    # Built before the precision policy: the views are computed in float32 whatever trains on them.
    views = ViewStream(make_augmenter(erase=args.erase, sharp=args.sharp, seed=seed), faces.x, labels, rng,
                       args.mixup, make_photometric(seed, args.photometric) if args.photometric else None)
    precision = choose_precision(args.precision)
    keras.mixed_precision.set_global_policy(precision)

    teachers = [build(args.teacher_widths, args.teacher_blocks, args.l2, args.teacher_lr) for _ in range(args.teachers)]
    student_lrs = args.student_lr * len(args.student_init) if len(args.student_lr) == 1 else args.student_lr
    students = [build(STUDENT_WIDTHS, STUDENT_BLOCKS, args.l2, lr) for lr in student_lrs]
    for student, init in zip(students, args.student_init):
        if init != SCRATCH:
            student.set_weights(inner_network(load_keras_model(init)).get_weights())
    if args.teacher_init:
        for i, teacher in enumerate(teachers):
            load_weights(teacher, Path(args.teacher_init), f"teacher{i + 1}")

    if args.resume:
        plan = json.loads((out / "plan.json").read_text())
        # Teachers used as --teacher-init gave them (0 epochs) were never saved here: they are loaded above.
        trained_here = teachers[:done["teachers_done"]] if plan["teacher_epochs_run"] else []
        restore(out, trained_here, students if done["student_epochs_done"] else [])
        print(f"resuming: {done}", flush=True)
    else:
        plan = write_plan(args, out, precision, views, teachers, students, len(faces), start)
    teacher_epochs, student_epochs = plan["teacher_epochs_run"], plan["student_epochs_run"]

    with EpochLog(out / "log.csv", public, resume_after=done if args.resume else None) as log:
        for i, teacher in enumerate(teachers):
            if i < done["teachers_done"]:
                continue
            for epoch in range(teacher_epochs):
                began = time.perf_counter()
                x, y = views.epoch()
                lr = cosine(args.teacher_lr, epoch, teacher_epochs)
                log.record(f"teacher{i + 1}", teacher, epoch, lr,
                           *fit_epoch(teacher, x, y, args.teacher_batch_size, lr), began)
            if teacher_epochs:
                save_weights(teacher, out, f"teacher{i + 1}")
                write_progress(out, teachers_done=i + 1, student_epochs_done=0)

        for epoch in range(done["student_epochs_done"], student_epochs):
            began = time.perf_counter()
            x, y = views.epoch()
            targets = student_targets(teachers, x, y, args.distill)
            for i, (student, lr0) in enumerate(zip(students, student_lrs)):
                lr = cosine(lr0, epoch, student_epochs)
                log.record(f"student{i + 1}", student, epoch, lr,
                           *fit_epoch(student, x, targets, args.batch_size, lr), began)
            if (epoch + 1) % args.checkpoint_every == 0 or epoch + 1 == student_epochs:  # kept if stopped
                save_students(students, out)
                write_progress(out, teachers_done=len(teachers), student_epochs_done=epoch + 1)

    if teachers:
        write_teacher_probabilities(out, teachers, train, public)
    if "PrivateTest" in dataset and student_epochs:
        write_student_reports(out, dataset)
    print(f"done in {time.perf_counter() - start:.0f} s", flush=True)
    return plan


def training_faces(args, train):
    """(faces, labels (N, classes)) that the models fit: FER2013's Training faces with their one-hot
    labels, or with --ferplus the raters' distributions blended with them, then --extra's face sets."""
    labels = np.eye(NUM_CLASSES, dtype=np.float32)[train.y]
    if args.ferplus:
        votes = ferplus_votes_for(args.ferplus, "Training")[:args.limit or None]
        train, labels = ferplus_training_targets(train, votes, args.ferplus_weight)
    return with_face_sets(train, labels, args.extra)


def write_plan(args, out, precision, views, teachers, students, n_train, start):
    """Time the models, choose the epochs (the flags' or --time-budget's) and write plan.json."""
    measured = measure_speeds(views, teachers, students, args.batch_size, args.teacher_batch_size)
    if args.student_epochs is not None:
        teacher_epochs, student_epochs = args.teacher_epochs, args.student_epochs
    else:
        teacher_epochs, student_epochs = plan_epochs(args, measured, n_train, time.perf_counter() - start)
    plan = {**vars(args), "backend": keras.backend.backend(), "precision_used": precision,
            "teacher_epochs_run": teacher_epochs, "student_epochs_run": student_epochs,
            "seconds_per_face": measured, "params": {"teacher": teachers[0].count_params() if teachers else 0,
                                                     "student": students[0].count_params()}}
    (out / "plan.json").write_text(json.dumps(plan, indent=2))
    print(json.dumps({k: plan[k] for k in ("backend", "precision_used", "teacher_epochs_run",
                                           "student_epochs_run", "seconds_per_face", "params")}), flush=True)
    return plan


# --- Resuming ---

PROGRESS = "progress.json"  # what a run has saved so far: finished teachers, student epochs checkpointed


def stream_seed(seed, done):
    """--seed for a fresh run; for a resumed one a seed of its own, drawn from --seed and the progress,
    so that it goes on to new views rather than replaying the views its first epochs saw."""
    if not any(done.values()):
        return seed
    return int(np.random.default_rng([seed, done["teachers_done"], done["student_epochs_done"]]).integers(2**31))


def write_progress(out, teachers_done, student_epochs_done):
    (Path(out) / PROGRESS).write_text(json.dumps({"teachers_done": teachers_done,
                                                  "student_epochs_done": student_epochs_done}))


def read_progress(out):
    path = Path(out) / PROGRESS
    if not path.exists() or not (Path(out) / "plan.json").exists():
        raise FileNotFoundError(f"{path}: nothing to resume (a run writes it when it saves a teacher, "
                                "and every --checkpoint-every student epochs)")
    return json.loads(path.read_text())


def restore(out, teachers, students):
    """The finished `teachers` and the checkpointed `students` of the run in `out`."""
    for i, teacher in enumerate(teachers):
        load_weights(teacher, out, f"teacher{i + 1}")
    for i, student in enumerate(students):
        student.set_weights(keras.models.load_model(Path(out) / f"student{i + 1}.keras").get_weights())


@dataclass
class ViewStream:
    """Fresh training views of the same faces, one epoch at a time (epoch_views)."""
    augmenter: keras.Model
    faces: np.ndarray
    labels: np.ndarray
    rng: np.random.Generator
    mixup: float
    photometric: object = None  # training.photometric's f(faces) -> faces, or None

    def epoch(self, n=None):
        """The next epoch's (x, y), of the first `n` faces only if given (for timing)."""
        faces, labels = (self.faces, self.labels) if n is None else (self.faces[:n], self.labels[:n])
        return epoch_views(self.augmenter, faces, labels, self.rng, self.mixup, photometric=self.photometric)


def measure_speeds(views, teachers, students, batch_size, teacher_batch_size, n=4096):
    """Seconds per face of making views, each model's training step and a teacher's prediction,
    each timed after a first call that compiles (so every model is compiled on return)."""
    views.epoch(n)
    t0 = time.perf_counter()
    x, y = views.epoch(n)
    measured = {
        "augment": (time.perf_counter() - t0) / len(x),
        "student_fit": [seconds_per_face(s, x, y, batch_size) for s in students],
    }
    if not teachers:
        return measured
    measured["teacher_fit"] = seconds_per_face(teachers[0], x, y, teacher_batch_size)
    predict(teachers[0], x)
    t0 = time.perf_counter()
    predict(teachers[0], x)
    measured["teacher_predict"] = (time.perf_counter() - t0) / len(x)
    for teacher in teachers[1:]:  # compiled too, and left as they were
        seconds_per_face(teacher, x, y, teacher_batch_size, steps=1)
    return measured


class EpochLog:
    """log.csv: one row per model and epoch, with PublicTest accuracy and loss when there is one."""

    HEADER = ["model", "epoch", "lr", "loss", "accuracy", "val_accuracy", "val_loss", "epoch_seconds"]

    def __init__(self, path, public, resume_after=None):
        """`resume_after` (a progress.json dict): keep the rows of what was saved, drop the epochs redone."""
        self.path, self.public, self.resume_after = path, public, resume_after

    def __enter__(self):
        kept = []
        if self.resume_after is not None and self.path.exists():
            with open(self.path, newline="") as f:
                kept = [row for row in csv.DictReader(f) if self._saved(row)]
        self.file = open(self.path, "w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(self.HEADER)
        self.writer.writerows([row.get(key, "") for key in self.HEADER] for row in kept)
        return self

    def _saved(self, row):
        if row["model"].startswith("teacher"):
            return int(row["model"][len("teacher"):]) <= self.resume_after["teachers_done"]
        return int(row["epoch"]) <= self.resume_after["student_epochs_done"]

    def __exit__(self, *exc):
        self.file.close()

    def record(self, name, model, epoch, lr, loss, acc, began):
        val_acc, val_loss = _scores(model, self.public) if self.public is not None else ("", "")
        self.writer.writerow([name, epoch + 1, f"{lr:.5g}", f"{loss:.4f}", f"{acc:.4f}", val_acc, val_loss,
                              round(time.perf_counter() - began, 2)])
        self.file.flush()
        print(f"{name} epoch {epoch + 1}: loss {loss:.4f} acc {acc:.4f} PublicTest {val_acc}", flush=True)


def write_teacher_probabilities(out, teachers, train, public):
    """The teachers' flip-averaged view of each Training face (for training.train --teacher), and of
    each PublicTest face, per teacher and for the ensemble."""
    np.save(out / "teacher_train.npy", ensemble_predict(teachers, preprocess_batch(train.x), flip=True))
    if public is None:
        return
    probs = [predict(t, preprocess_batch(public.x), flip=True) for t in teachers]
    np.savez(out / "teacher_public.npz", labels=public.y, ensemble=np.mean(probs, axis=0),
             **{f"teacher{i + 1}": p for i, p in enumerate(probs)})
    print(f"teachers (flip) on PublicTest: each {[round(_hits(p, public.y), 4) for p in probs]}, "
          f"ensemble {_hits(np.mean(probs, axis=0), public.y):.4f}", flush=True)


def write_student_reports(out, dataset):
    """A training.train-style run folder per student (args.json, log.csv, best.keras, metrics.json and
    plots), so that converters.export and the README read it like any other run. The student kept is
    the last epoch's (no selection on PublicTest happens inside the run)."""
    out = Path(out)
    plan = json.loads((out / "plan.json").read_text())
    with open(out / "log.csv") as f:
        rows = list(csv.DictReader(f))
    for i, init in enumerate(plan["student_init"]):
        name = f"student{i + 1}"
        run_dir = out / name
        run_dir.mkdir(exist_ok=True)
        lrs = plan["student_lr"]
        (run_dir / "args.json").write_text(json.dumps(
            {**plan, "split": "official", "student": name, "init": init, "lr": lrs[i] if len(lrs) > 1 else lrs[0]},
            indent=2))
        own = [r for r in rows if r["model"] == name]
        keys = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss", "epoch_seconds", "learning_rate"]
        with open(run_dir / "log.csv", "w", newline="") as f:
            log = csv.DictWriter(f, keys, extrasaction="ignore")
            log.writeheader()
            log.writerows({**r, "epoch": int(r["epoch"]) - 1, "learning_rate": r["lr"]} for r in own if r)
        shutil.copy2(out / f"{name}.keras", run_dir / "best.keras")
        model = keras.models.load_model(run_dir / "best.keras")
        with open(run_dir / "model_summary.txt", "w") as f:
            model.summary(print_fn=lambda line, **_: f.write(line + "\n"))
        metrics = reports.write_run_reports(run_dir, model, dataset,
                                            {"PublicTest": dataset["PublicTest"], "PrivateTest": dataset["PrivateTest"]},
                                            selected_on="PublicTest", reported_on="PrivateTest")
        metrics["best_epoch"] = len(own)  # the last epoch is the one kept
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        print(f"{run_dir}: PublicTest {metrics['splits']['PublicTest']['accuracy']:.4f}", flush=True)


# The accelerator machine hands back files of at most 16 MiB; a wide teacher's float32 weights are 44 MB.
SHARD_BYTES = 15 * 2**20
SMALL_ARRAY = 4096  # batch-norm statistics and biases stay float32: tiny, and variances can underflow float16


def save_weights(model, out, name, shard_bytes=SHARD_BYTES):
    """`model`'s weights as `name`.weights-<k>.npz shards under `out`: large arrays in float16 (half
    the size, and a teacher's predictions barely move), each shard under `shard_bytes`. Returns the paths."""
    for old in Path(out).glob(f"{name}.weights-*.npz"):
        old.unlink()
    shards, shard, size = [], {}, 0
    for i, w in enumerate(model.get_weights()):
        w = w.astype(np.float16) if w.size > SMALL_ARRAY else w.astype(np.float32)
        if shard and size + w.nbytes > shard_bytes:
            shards.append(shard)
            shard, size = {}, 0
        shard[f"w{i:05d}"], size = w, size + w.nbytes
    shards.append(shard)
    paths = [Path(out) / f"{name}.weights-{k}.npz" for k in range(len(shards))]
    for path, arrays in zip(paths, shards):
        np.savez(path, **arrays)
    return paths


def load_weights(model, folder, name):
    """Set `model`'s weights from the shards save_weights wrote; an error names them if none are
    there or they do not fit the model (other --teacher-widths or --teacher-blocks)."""
    paths = sorted(Path(folder).glob(f"{name}.weights-*.npz"))
    if not paths:
        raise FileNotFoundError(f"{folder}: no {name}.weights-*.npz (written by a run that trained teachers)")
    arrays = {}
    for path in paths:
        with np.load(path) as shard:
            arrays.update({key: shard[key] for key in shard.files})
    weights = [arrays[key].astype(np.float32) for key in sorted(arrays)]
    try:
        model.set_weights(weights)
    except ValueError as e:
        raise ValueError(f"{paths[0]}: these weights do not fit the model built from the flags: {e}") from None


def save_students(students, out):
    """Each student as a float32 model: what converters.export takes."""
    for i, student in enumerate(students):
        to_float32(student).save(out / f"student{i + 1}.keras")


def _hits(probs, labels):
    return float((probs.argmax(1) == labels).mean())


def _scores(model, split):
    """(accuracy, cross-entropy) of `model` on a labelled split."""
    probs = predict(model, preprocess_batch(split.x))
    loss = -np.mean(np.log(np.maximum(probs[np.arange(len(split.y)), split.y], 1e-7)))
    return round(_hits(probs, split.y), 4), round(float(loss), 4)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.report_only:
            write_student_reports(args.out, load(args.data))
        else:
            run(args)
    except (DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

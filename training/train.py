"""Train an expression classifier on FER2013.

    python -m training.train --run-dir runs/mini_xception            # the seed's recipe
    python -m training.train --run-dir runs/mini_xception --resume   # carry on after a stop
    python -m training.train --run-dir runs/b --init-from runs/a/best.keras ...  # a second cycle
    make train                                                       # the shipped default's recipe
    python -m training.train ... --ferplus ferplus.csv --ferplus-weight 0.7 --select-on mean   # blended targets

Protocol: fit on Training, keep the checkpoint with the best PublicTest accuracy, report
PrivateTest once at the end (`--split random` instead pools all faces and splits 80/20 with
a seed, as the seed project did). Each run folder holds its flags (args.json), a per-epoch log
(log.csv, with wall time), best.keras, last.keras, metrics.json and the report plots.
"""
import argparse
import contextlib
import csv
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from training import reports  # noqa: E402
from training.augment import make_augmenter, make_mixup  # noqa: E402
from training.photometric import make_photometric  # noqa: E402
from training.schedules import cosine  # noqa: E402
from training.tta import inner_network  # noqa: E402
from training.data import DEFAULT_DATA, DataError, load, random_split  # noqa: E402
from training.models import make_model, to_float32  # noqa: E402
from training.preprocessing import INPUT_SHAPE, NUM_CLASSES, SPEC  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 CSV, .csv.gz or image folder")
    p.add_argument("--run-dir", required=True, help="folder for checkpoints, logs and reports")
    p.add_argument("--arch", default="mini_xception", help="architecture name in training/models.py")
    p.add_argument("--split", choices=["official", "random"], default="official",
                   help="official: Training / PublicTest (select) / PrivateTest (report); random: seeded 80/20")
    p.add_argument("--epochs", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="sgd: Nesterov momentum 0.9")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate at epoch 0")
    p.add_argument("--schedule", choices=["exponential", "cosine"], default="exponential",
                   help="exponential: lr x --lr-decay per epoch; cosine: from lr to 0 over --epochs")
    p.add_argument("--lr-decay", type=float, default=0.95, help="learning rate multiplier per epoch")
    p.add_argument("--l2", type=float, default=0.01, help="L2 weight on conv kernels")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--erase", type=float, default=0.0, help="probability of random erasing per face")
    p.add_argument("--mixup", type=float, default=0.0, help="mixup's Beta(alpha, alpha); 0 turns it off")
    p.add_argument("--teacher", default="",
                   help="a .npy of teacher probabilities for the Training faces (python -m training.distill)")
    p.add_argument("--teacher-model", default="",
                   help="a model folder or .keras file whose probabilities (with the test-time views in its graph) "
                        "for every training face, --extra and --ferplus ones included, join that face's target")
    p.add_argument("--distill", type=float, default=0.5,
                   help="with --teacher or --teacher-model, the teacher's share of each target; the label has the rest")
    p.add_argument("--ferplus", default="",
                   help="FER+ votes (ferplus.csv, aligned with --data): Training learns the raters' vote "
                        "distributions (FER2013's label where FER+ has none); PublicTest selects and PrivateTest "
                        "reports on the raters' majority")
    p.add_argument("--ferplus-weight", type=float, default=1.0,
                   help="with --ferplus, the raters' share of each Training target; FER2013's own one-hot label has "
                        "the rest (blended targets: 1 learns the raters alone, 0 FER2013's labels alone)")
    p.add_argument("--select-on", choices=["selection", "mean"], default="selection",
                   help="the checkpoint kept: selection = accuracy on the selection split (with --ferplus, the "
                        "raters' majority on PublicTest); mean = the mean of that and FER2013's own labels on "
                        "PublicTest (logged as val_fer2013_accuracy and val_mean_accuracy)")
    p.add_argument("--extra", nargs="*", default=[], metavar="NPZ[:REPEAT]",
                   help="face sets (train_x, train_y arrays, e.g. sfew.npz) added to Training, each repeated "
                        "REPEAT times per epoch (default 1)")
    p.add_argument("--photometric", type=float, default=0.0,
                   help="strength of the camera-like photometric augmentation (training/photometric.py); 0 is off")
    p.add_argument("--sharp", type=float, default=0.0,
                   help="fraction of faces spared the rotation, shift and zoom (which soften faces by resampling)")
    p.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"], default="auto",
                   help="auto: mixed_float16 on a GPU, mixed_bfloat16 on a CPU with AMX, else float32")
    p.add_argument("--rotation", type=float, default=10, help="max rotation, degrees")
    p.add_argument("--shift", type=float, default=0.1, help="max width/height shift, fraction")
    p.add_argument("--zoom", type=float, default=0.1, help="max zoom, fraction")
    p.add_argument("--no-flip", action="store_true", help="disable horizontal flips")
    p.add_argument("--limit", type=int, default=0, help="use only the first N faces of each split (smoke runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from last.keras in --run-dir")
    p.add_argument("--keep-epochs", action="store_true",
                   help="also save every epoch's model as epochs/NN.keras, NN counting from 01 "
                        "(for research.average_weights)")
    p.add_argument("--init-from", default="",
                   help="start from this .keras model's weights with a fresh optimizer and schedule "
                        "(a warm restart: a second cosine cycle after a finished run)")
    p.add_argument("--report-only", action="store_true",
                   help="no training: write metrics and plots for best.keras in --run-dir (e.g. after stopping early)")
    p.add_argument("--verbose", type=int, default=1, help="Keras verbosity: 1 shows a progress bar")
    args = p.parse_args(argv)
    if not 0 <= args.ferplus_weight <= 1:
        p.error(f"--ferplus-weight {args.ferplus_weight}: expected a share between 0 and 1")
    return args


def choose_splits(dataset, split, seed):
    """(train, select, report) splits and their names for the chosen protocol."""
    if split == "random":
        parts = random_split(dataset, seed=seed)
        return parts["Training"], ("Validation", parts["Validation"]), ("Validation", parts["Validation"])
    missing = [s for s in ("Training", "PublicTest") if s not in dataset]
    if missing:
        raise DataError(f"the official protocol needs splits {missing}; found {sorted(dataset)}. Try --split random.")
    report = "PrivateTest" if "PrivateTest" in dataset else "PublicTest"
    return dataset["Training"], ("PublicTest", dataset["PublicTest"]), (report, dataset[report])


def real_face_splits(args, dataset, train, select, report):
    """With --ferplus and --extra: Training with soft targets (and the extra face sets), and the
    selection and report splits labelled by the raters' majority. Returns (train, targets, select, report)."""
    from training.extra_data import ferplus_majority, ferplus_training_targets, ferplus_votes_for, with_face_sets

    targets = np.eye(NUM_CLASSES, dtype=np.float32)[train.y]
    if args.ferplus:
        # --limit keeps the first faces of each split, so the first votes of each split go with them.
        votes = {name: ferplus_votes_for(args.ferplus, name)[:args.limit or None] for name in dataset}
        for name, split in dataset.items():
            if len(votes[name]) != len(split):
                raise DataError(f"--ferplus {args.ferplus}: {len(votes[name])} {name} rows against "
                                f"{len(split)} in --data; the two files must be aligned row by row")
        train, targets = ferplus_training_targets(train, votes["Training"], args.ferplus_weight)
        select, report = ((name, _majority(split, votes[name], ferplus_majority)) for name, split in (select, report))
    train, targets = with_face_sets(train, targets, args.extra)
    return train, targets, select, report


def _majority(split, votes, ferplus_majority):
    labels, keep = ferplus_majority(votes)
    return type(split)(split.x[keep], labels[keep])


def training_stream(args, train, initial_epoch=0, targets=None):
    """The shuffled, augmented (and mixed) training batches for a run that starts at `initial_epoch`.

    The shuffle, augmentation and mixup streams are seeded, so a resumed run seeded like the
    original would replay the original's first epochs batch for batch, the very faces, views and
    partners the model has already fitted (train accuracy jumped 7 points in runs/resnet_cycle4
    while PublicTest stayed flat). A resumed run therefore draws from a stream of its own.
    """
    seed = args.seed + 10_000 * initial_epoch
    augmenter = make_augmenter(args.rotation, args.shift, args.zoom, not args.no_flip, args.erase,
                               sharp=args.sharp, seed=seed)
    mixup = make_mixup(args.mixup, seed=seed) if args.mixup else None
    if args.teacher:
        if targets is not None:
            raise SystemExit("--teacher gives targets for FER2013's Training faces alone; it does not mix with "
                             "--ferplus or --extra")
        targets = distillation_targets(args.teacher, args.distill, train)
    if args.teacher_model:
        targets = with_teacher_model(args.teacher_model, args.distill, train, targets)
    photometric = make_photometric(seed, args.photometric) if args.photometric else None
    return make_dataset(train, args.batch_size, augmenter, shuffle_seed=seed, mixup=mixup, targets=targets,
                        photometric=photometric)


def distillation_targets(teacher_path, teacher_share, train):
    """Soft targets: `teacher_share` of the teacher's probabilities plus the rest of the one-hot label."""
    try:
        teacher = np.load(teacher_path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"--teacher {teacher_path}: cannot read: {e}") from e
    if teacher.shape != (len(train), NUM_CLASSES) or not np.allclose(teacher.sum(axis=1), 1, atol=1e-3):
        raise SystemExit(f"--teacher {teacher_path}: expected probabilities of shape ({len(train)}, {NUM_CLASSES}) "
                         f"for these Training faces, got {teacher.shape}")
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[train.y]
    return (teacher_share * teacher + (1 - teacher_share) * one_hot).astype(np.float32)


def with_teacher_model(model_path, teacher_share, train, targets=None):
    """`targets` (else the one-hot labels) with `teacher_share` of them replaced by the probabilities
    that the model at `model_path` gives each training face, unaugmented."""
    from training.distill import teacher_probabilities
    from training.evaluate import load_keras_model

    try:
        teacher = teacher_probabilities([load_keras_model(model_path)], train.x)
    except (OSError, ValueError) as e:
        raise SystemExit(f"--teacher-model {model_path}: cannot load: {e}") from e
    labels = np.eye(NUM_CLASSES, dtype=np.float32)[train.y] if targets is None else targets
    print(f"teacher {model_path}: agrees with the training targets' top label on "
          f"{100 * (teacher.argmax(1) == labels.argmax(1)).mean():.1f}% of {len(train)} faces")
    return (teacher_share * teacher + (1 - teacher_share) * labels).astype(np.float32)


def make_dataset(split, batch_size, augmenter=None, shuffle_seed=None, mixup=None, targets=None, photometric=None):
    """tf.data pipeline: (optionally shuffle, change the look (`photometric`) and augment) -> scale to
    [-1, 1] -> one-hot labels, or the given (N, classes) `targets` (-> mixup)."""
    soft = targets is not None
    ds = tf.data.Dataset.from_tensor_slices((split.x[..., None], targets if soft else split.y))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(split), seed=shuffle_seed, reshuffle_each_iteration=True)
    # Training drops the last partial batch: a 5-face tail batch crashed TF 2.19 on CPU ("double free").
    ds = ds.batch(batch_size, drop_remainder=shuffle_seed is not None)

    def prepare(x, y):
        if photometric is not None:
            x = tf.ensure_shape(tf.numpy_function(photometric, [x], tf.uint8, stateful=True), [None, *split.x.shape[1:], 1])
        x = tf.cast(x, tf.float32)
        if augmenter is not None:
            x = augmenter(x, training=True)
        x, y = x / SPEC["scale"] + SPEC["offset"], (y if soft else tf.one_hot(y, NUM_CLASSES))
        return mixup(x, y) if mixup is not None else (x, y)

    # One augmentation call at a time: Keras random layers keep their seed state in a variable,
    # and concurrent calls would make runs unrepeatable. It still feeds ~5,000 faces/s, far above training.
    parallel = 1 if augmenter is not None or mixup is not None or photometric is not None else tf.data.AUTOTUNE
    return ds.map(prepare, num_parallel_calls=parallel).prefetch(tf.data.AUTOTUNE)


def completed_epochs(log_path: Path) -> int:
    """Number of epochs recorded in log.csv (its data rows)."""
    if not log_path.exists():
        return 0
    return max(0, sum(1 for line in log_path.read_text().splitlines() if line.strip()) - 1)


def main(argv=None):
    args = parse_args(argv)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    args.precision = choose_precision(args.precision)  # args.json records what was used, not "auto"
    with precision_policy(args.precision):
        return run(args, run_dir)


def run(args, run_dir: Path) -> dict:
    """Train (unless --report-only), then evaluate the best checkpoint and write the reports."""
    # --- Data ---
    dataset = load(args.data)
    if args.limit:
        dataset = {name: s.take(slice(0, args.limit)) for name, s in dataset.items()}
    train, (select_name, select), (report_name, report) = choose_splits(dataset, args.split, args.seed)
    own_select = select  # the selection split with FER2013's own labels, for --select-on mean
    targets = None
    if args.ferplus or args.extra:
        train, targets, (select_name, select), (report_name, report) = real_face_splits(
            args, dataset, train, (select_name, select), (report_name, report))
    log_path, last_path, best_path = run_dir / "log.csv", run_dir / "last.keras", run_dir / "best.keras"
    initial_epoch = completed_epochs(log_path) if args.resume and last_path.exists() else 0
    # --- Model ---
    if not args.report_only:
        train_ds, select_ds = training_stream(args, train, initial_epoch, targets), make_dataset(select, 256)
        own_select_ds = make_dataset(own_select, 256) if args.select_on == "mean" else None
        fit(args, run_dir, train_ds, select_ds, initial_epoch, log_path, last_path, best_path, own_select_ds)

    # --- Evaluate and report ---
    # Reports and exports describe the float32 model that ships, whatever precision trained it.
    keras.mixed_precision.set_global_policy("float32")
    trained = keras.models.load_model(best_path)
    best = to_float32(trained)
    if best is not trained:
        best.save(best_path)
    metrics = reports.write_run_reports(run_dir, best, dataset, {select_name: select, report_name: report},
                                        selected_on=select_name, reported_on=report_name)
    print(json.dumps({k: metrics[k] for k in ("selected_on", "reported_on", "accuracy", "macro_f1")}, indent=2))
    return metrics


def fit(args, run_dir, train_ds, select_ds, initial_epoch, log_path, last_path, best_path, own_select_ds=None):
    """Build (or resume) the model and train it, checkpointing the best on the selection split (with
    `own_select_ds`, the selection split under FER2013's own labels: on the mean of the two accuracies)."""
    if initial_epoch:
        model = keras.models.load_model(last_path)
        print(f"resuming {last_path} after epoch {initial_epoch}")
    else:
        model = make_model(args.arch, INPUT_SHAPE, NUM_CLASSES, l2=args.l2)
        if args.init_from:
            # Built fresh and given the weights, so the run's own precision, L2 and optimizer apply.
            # An exported model (models/resnet/model.keras) may hold a calibration layer: registered here.
            import training.calibration  # noqa: F401
            start = inner_network(keras.models.load_model(args.init_from, compile=False))
            try:
                model.set_weights(start.get_weights())
            except ValueError as e:
                raise SystemExit(f"--init-from {args.init_from} does not fit --arch {args.arch}: {e}") from e
            print(f"starting from the weights of {args.init_from}")
        model.compile(
            optimizer=make_optimizer(args.optimizer, args.lr),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing),
            metrics=["accuracy"],
        )
        log_path.unlink(missing_ok=True)
    # A resumed run keeps the original recipe in args.json and records its own flags beside it.
    (run_dir / ("args_resumed.json" if initial_epoch else "args.json")).write_text(json.dumps(vars(args), indent=2))
    with open(run_dir / "model_summary.txt", "w") as f:
        model.summary(print_fn=lambda line, **_: f.write(line + "\n"))

    monitor = "val_mean_accuracy" if own_select_ds is not None else "val_accuracy"
    callbacks = [
        EpochTimer(),  # first, so CSVLogger sees its epoch_seconds
        *([OwnLabelsAccuracy(own_select_ds)] if own_select_ds is not None else []),  # before the logger
        keras.callbacks.LearningRateScheduler(lambda epoch: learning_rate(args, epoch)),
        keras.callbacks.CSVLogger(str(log_path), append=initial_epoch > 0),
        keras.callbacks.ModelCheckpoint(str(best_path), monitor=monitor, mode="max", save_best_only=True,
                                        initial_value_threshold=_best_so_far(log_path, monitor)),
        keras.callbacks.ModelCheckpoint(str(last_path)),
    ]
    if args.keep_epochs:
        (run_dir / "epochs").mkdir(exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(str(run_dir / "epochs" / "{epoch:02d}.keras")))
    if initial_epoch < args.epochs:
        model.fit(train_ds, validation_data=select_ds, epochs=args.epochs, initial_epoch=initial_epoch,
                  callbacks=callbacks, verbose=args.verbose)


@contextlib.contextmanager
def precision_policy(name):
    """Keras's global precision policy set to `name` inside the block, and the caller's restored after."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def choose_precision(flag):
    """auto: float16 mixed precision on a GPU, bfloat16 on a CPU with AMX (1.4x faster for the
    ResNet here, see research.train_speed), else float32."""
    if flag != "auto":
        return flag
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if _cpu_has_amx_bf16() else "float32"


def _cpu_has_amx_bf16() -> bool:
    try:
        return "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux
        return False


def make_optimizer(name, lr):
    if name == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    return keras.optimizers.Adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def learning_rate(args, epoch):
    """Learning rate for `epoch` (0-based) under the run's schedule."""
    if args.schedule == "cosine":
        return cosine(args.lr, epoch, args.epochs)
    return args.lr * args.lr_decay ** epoch


def _best_so_far(log_path: Path, monitor="val_accuracy"):
    """Best `monitor` value already logged, so a resumed run does not overwrite a better best.keras."""
    if not log_path.exists():
        return None
    with open(log_path) as f:
        values = [float(r[monitor]) for r in csv.DictReader(f) if r.get(monitor)]
    return max(values) if values else None


class OwnLabelsAccuracy(keras.callbacks.Callback):
    """Adds val_fer2013_accuracy (the selection faces under FER2013's own labels) and val_mean_accuracy
    (its mean with val_accuracy) to the logs, for a checkpoint that keeps both sets of labels."""

    def __init__(self, dataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        correct = total = 0
        for x, y in self.dataset:
            predicted = np.argmax(self.model(x, training=False), axis=1)
            correct += int((predicted == np.argmax(y, axis=1)).sum())
            total += len(predicted)
        logs["val_fer2013_accuracy"] = correct / total
        if "val_accuracy" in logs:
            logs["val_mean_accuracy"] = (logs["val_accuracy"] + logs["val_fer2013_accuracy"]) / 2


class EpochTimer(keras.callbacks.Callback):
    """Adds the epoch's wall time (seconds) to the logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = round(time.perf_counter() - self._start, 1)


if __name__ == "__main__":
    main()

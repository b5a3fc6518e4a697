"""Training throughput (faces per second) of each architecture, precision and compile mode.

    python -m research.train_speed [--arch mini_xception resnet] [--batch-size 32 128] [--seconds 20]

Runs real training steps (augmentation included) on random faces, so it needs no dataset. The
figure to compare is faces/s between rows of one run; the machine decides the absolute values.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from training.augment import make_augmenter  # noqa: E402
from training.data import Split  # noqa: E402
from training.models import make_model  # noqa: E402
from training.preprocessing import INPUT_SHAPE, NUM_CLASSES  # noqa: E402
from training.train import make_dataset, precision_policy  # noqa: E402


def faces_per_second(arch, batch_size, precision, jit, seconds):
    with precision_policy(precision):
        return _faces_per_second(arch, batch_size, jit, seconds)


def _faces_per_second(arch, batch_size, jit, seconds):
    model = make_model(arch, INPUT_SHAPE, NUM_CLASSES)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", jit_compile=jit)
    rng = np.random.default_rng(0)
    faces = Split(rng.integers(0, 256, (batch_size * 64, 48, 48), dtype=np.uint8),
                  rng.integers(0, NUM_CLASSES, batch_size * 64))
    batches = iter(make_dataset(faces, batch_size, make_augmenter(), shuffle_seed=0).repeat())
    for _ in range(3):  # warm-up: tracing and compilation
        model.train_on_batch(*next(batches))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.train_on_batch(*next(batches))
        steps += 1
    return steps * batch_size / (time.perf_counter() - start), model.count_params()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", nargs="+", default=["mini_xception", "resnet"])
    p.add_argument("--batch-size", type=int, nargs="+", default=[32, 128])
    p.add_argument("--precision", nargs="+", default=["float32", "mixed_bfloat16"])
    p.add_argument("--jit", choices=["off", "on", "both"], default="off")
    p.add_argument("--seconds", type=float, default=20)
    args = p.parse_args(argv)
    jits = {"off": [False], "on": [True], "both": [False, True]}[args.jit]
    print(f"{'arch':<16}{'params':>10}{'batch':>7}  {'precision':<16}{'xla':<5}{'faces/s':>9}")
    for arch in args.arch:
        for batch in args.batch_size:
            for precision in args.precision:
                for jit in jits:
                    rate, params = faces_per_second(arch, batch, precision, jit, args.seconds)
                    print(f"{arch:<16}{params:>10,}{batch:>7}  {precision:<16}{str(jit):<5}{rate:>9.0f}", flush=True)


if __name__ == "__main__":
    main()

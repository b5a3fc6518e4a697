"""Average the weights of several checkpoints of one run into one model (stochastic weight averaging).

    python -m training.train ... --keep-epochs          # saves runs/x/epochs/01.keras, 02.keras, ...
    python -m research.average_weights --models runs/x/epochs/1[0-6].keras --out runs/x/averaged.keras

Checkpoints from the end of a run sit around one minimum of the loss at different points; their
average lies nearer its centre, which is flatter and generalises better than any one of them
(Izmailov et al., 2018). It is one model, so it costs nothing at inference. On this project's
fine-tuning runs it did not beat the best single checkpoint, so the default recipe does not use it.

Averaged batch-norm statistics do not describe the averaged weights' activations, so they are
estimated afresh by running the model over the Training faces (as they are, unaugmented, the way
faces reach it at test time) with a cumulative, not exponential, moving average.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from training.data import DEFAULT_DATA, DataError, load_split  # noqa: E402
from training.preprocessing import preprocess_batch  # noqa: E402
from training.models import to_float32  # noqa: E402


def average_weights(models):
    """A copy of models[0] whose every weight (BN statistics included) is the mean over `models`."""
    first = models[0]
    for m in models[1:]:
        shapes = [w.shape for w in m.get_weights()]
        if shapes != [w.shape for w in first.get_weights()]:
            raise ValueError(f"{m.name} does not have the same architecture as {first.name}")
    averaged = to_float32(keras.models.clone_model(first))  # what ships; epochs/ may be mixed precision
    averaged.set_weights([np.mean(ws, axis=0) for ws in zip(*(m.get_weights() for m in models))])
    return averaged


def batch_norm_layers(model):
    return [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):  # nested models
            yield from _all_layers(layer)


def update_batch_norm(model, faces_uint8, batch_size=256):
    """Re-estimate every BN layer's moving mean and variance as the plain average of its batch
    statistics over `faces_uint8` (N, 48, 48). Batch k gets momentum k / (k + 1), so each batch
    counts the same, and the old statistics none."""
    bn = batch_norm_layers(model)
    saved = [layer.momentum for layer in bn]
    try:
        for k, start in enumerate(range(0, len(faces_uint8), batch_size)):
            for layer in bn:
                layer.momentum = k / (k + 1)
            model(preprocess_batch(faces_uint8[start:start + batch_size]), training=True)
    finally:
        for layer, momentum in zip(bn, saved):
            layer.momentum = momentum
    return model


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", required=True, help=".keras checkpoints of one architecture")
    p.add_argument("--out", required=True, help="where to save the averaged .keras model")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013, whose Training faces re-estimate BN")
    args = p.parse_args(argv)
    try:
        models = [keras.models.load_model(m, compile=False) for m in args.models]
        averaged = average_weights(models)
        update_batch_norm(averaged, load_split(args.data, "Training").x)
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    averaged.save(args.out)
    print(f"averaged {len(models)} checkpoints into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
